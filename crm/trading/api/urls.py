"""Registers the trading API on the back-office router."""

from django.urls import URLPattern, URLResolver

from crm.core.api.routers import backoffice
from crm.trading.api import views

backoffice.register("instruments", views.InstrumentViewSet, basename="instrument")
backoffice.register("positions", views.PositionViewSet, basename="position")
backoffice.register("orders", views.OrderViewSet, basename="order")
backoffice.register("deals", views.DealViewSet, basename="deal")

urlpatterns: list[URLPattern | URLResolver] = []
