"""ASGI entry point: Django's HTTP app, and the WebSockets under /ws/ (crm.trading.live, Django Channels)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django is set up before the consumers' modules import models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from crm.trading.routing import websocket_urlpatterns  # noqa: E402

# No origin check: the socket authenticates with the portal's JWT (never a cookie), so a page of another origin
# gains nothing by opening it, and portal front ends live on their own origins.
application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
