"""Registers the trading API on the back-office and portal routers."""

from django.urls import URLPattern, URLResolver

from crm.core.api.routers import backoffice, portal
from crm.trading.api import portal as portal_views
from crm.trading.api import portal_accounts, settings, views

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

portal.register("trading/accounts", portal_accounts.PortalTradingAccountViewSet, basename="trading-account")
portal.register("trading/orders", portal_views.PortalOrderViewSet, basename="trading-order")
portal.register("trading/positions", portal_views.PortalPositionViewSet, basename="trading-position")
portal.register("trading/deals", portal_views.PortalDealViewSet, basename="trading-deal")
portal.register("trading/platforms", portal_views.PortalPlatformViewSet, basename="trading-platform")

urlpatterns: list[URLPattern | URLResolver] = []
