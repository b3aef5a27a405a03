"""Registers the trading API on the back-office router."""

from django.urls import URLPattern, URLResolver

from crm.core.api.routers import backoffice
from crm.trading.api import settings, views

backoffice.register("instruments", views.InstrumentViewSet, basename="instrument")
backoffice.register("positions", views.PositionViewSet, basename="position")
backoffice.register("orders", views.OrderViewSet, basename="order")
backoffice.register("deals", views.DealViewSet, basename="deal")
backoffice.register("trading-assets", settings.AssetViewSet, basename="trading-asset")
backoffice.register("market-groups", settings.MarketGroupViewSet, basename="market-group")
backoffice.register("market-categories", settings.MarketCategoryViewSet, basename="market-category")
backoffice.register("session-overrides", settings.SessionOverrideViewSet, basename="session-override")
backoffice.register("downtimes", settings.DowntimeViewSet, basename="downtime")
backoffice.register("position-durations", settings.PositionDurationViewSet, basename="position-duration")
backoffice.register("max-risks", settings.MaxRiskViewSet, basename="max-risk")
backoffice.register("platform-adapters", settings.PlatformAdapterViewSet, basename="platform-adapter")
backoffice.register("commission-profiles", settings.CommissionProfileViewSet, basename="commission-profile")
backoffice.register("commission-rules", settings.CommissionRuleViewSet, basename="commission-rule")

urlpatterns: list[URLPattern | URLResolver] = []
