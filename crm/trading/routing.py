"""WebSocket routes of the ASGI app (config/asgi.py)."""

from django.urls import path

from crm.trading.consumers import PortalLiveConsumer

# `path` is typed for Django views; URLRouter takes ASGI applications too.
websocket_urlpatterns = [path("ws/v1/portal/live/", PortalLiveConsumer.as_asgi())]  # type: ignore[arg-type]
