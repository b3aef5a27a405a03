"""Paths of seed 001's trader API, exactly as the seed gives them (a trailing slash is also accepted)."""

from django.urls import re_path

from crm.trading.compat import marketdata, notifications, ui, v3, v4

app_name = "trader-compat"

ID = r"(?P<{}>[^/]+)"
FO4 = r"^frontoffice/api/v4/"
FO3 = r"^frontoffice/api/v3/"
NOTE = r"^notification/api/v1/trader-notifications"

urlpatterns = [
    re_path(
        r"^marketdata/api/v4/instruments/" + ID.format("marketSymbol") + "/history/?$",
        marketdata.history,
        name="marketdata-history",
    ),
    re_path(
        r"^marketdata/api/v4/instruments/" + ID.format("marketSymbol") + "/funding/?$",
        marketdata.funding,
        name="marketdata-funding",
    ),
    re_path(FO4 + r"account-margin-settings/assets/?$", v4.margin_assets, name="v4-margin-assets"),
    re_path(
        FO4 + r"account-margin-settings/assets/" + ID.format("assetId") + "/?$",
        v4.margin_asset,
        name="v4-margin-asset",
    ),
    re_path(r"^frontoffice/api/cfd/v4/order-data/?$", v4.cfd_order_data, name="v4-cfd-order-data"),
    re_path(r"^frontoffice/api/cfd/v4/orders/?$", v4.cfd_orders, name="v4-cfd-orders"),
    re_path(r"^frontoffice/api/cfd/v4/stop-orders/?$", v4.cfd_stop_orders, name="v4-cfd-stop-orders"),
    re_path(r"^frontoffice/api/perpetual/v4/order-data/?$", v4.perpetual_order_data, name="v4-perpetual-order-data"),
    re_path(r"^frontoffice/api/perpetual/v4/orders/?$", v4.perpetual_orders, name="v4-perpetual-orders"),
    re_path(
        r"^frontoffice/api/perpetual/v4/stop-orders/?$", v4.perpetual_stop_orders, name="v4-perpetual-stop-orders"
    ),
    re_path(FO4 + r"markets-categories/?$", v4.markets_categories, name="v4-markets-categories"),
    re_path(FO4 + r"markets/?$", v4.markets, name="v4-markets"),
    re_path(FO4 + r"markets/" + ID.format("marketId") + "/?$", v4.market_detail, name="v4-market"),
    re_path(FO4 + r"order-list/?$", v4.order_list, name="v4-order-list"),
    re_path(FO4 + r"orders/closed-positions/?$", v4.closed_positions, name="v4-closed-positions"),
    re_path(FO4 + r"orders/executions/list/?$", v4.orders_executions, name="v4-orders-executions"),
    re_path(FO4 + r"orders/" + ID.format("orderId") + "/?$", v4.order_detail, name="v4-order"),
    re_path(
        FO4 + r"orders/" + ID.format("orderId") + "/executions/list/?$",
        v4.order_executions,
        name="v4-order-executions",
    ),
    re_path(FO4 + r"positions/executions/list/?$", v4.positions_executions, name="v4-positions-executions"),
    re_path(
        FO4 + r"positions/" + ID.format("positionId") + "/executions/list/?$",
        v4.position_executions,
        name="v4-position-executions",
    ),
    re_path(FO4 + r"positions/" + ID.format("positionId") + "/close/?$", v4.position_close, name="v4-close"),
    re_path(
        FO4 + r"positions/" + ID.format("positionId") + "/close/calculation/?$",
        v4.position_close_calculation,
        name="v4-close-calculation",
    ),
    re_path(FO4 + r"positions/" + ID.format("positionId") + "/triggers/?$", v4.position_triggers, name="v4-triggers"),
    re_path(
        FO4 + r"positions/" + ID.format("positionId") + "/trigger-data/?$",
        v4.position_trigger_data,
        name="v4-trigger-data",
    ),
    re_path(FO3 + r"accounts/?$", v3.accounts, name="v3-accounts"),
    re_path(FO3 + r"assets/?$", v3.assets, name="v3-assets"),
    re_path(FO3 + r"markets/?$", v3.markets, name="v3-markets"),
    re_path(FO3 + r"markets/" + ID.format("marketId") + "/?$", v3.market_detail, name="v3-market"),
    re_path(FO3 + r"order-data/?$", v3.order_data, name="v3-order-data"),
    re_path(FO3 + r"orders/?$", v3.orders, name="v3-orders"),
    re_path(FO3 + r"orders/" + ID.format("orderId") + "/?$", v3.order_detail, name="v3-order"),
    re_path(FO3 + r"order-list/?$", v3.order_list, name="v3-order-list"),
    re_path(FO3 + r"stop-orders/?$", v3.stop_orders, name="v3-stop-orders"),
    re_path(FO3 + r"stop-orders/" + ID.format("stopOrderId") + "/?$", v3.stop_order_detail, name="v3-stop-order"),
    re_path(FO3 + r"margin-levels/?$", v3.margin_levels, name="v3-margin-levels"),
    re_path(FO3 + r"info/?$", v3.info, name="v3-info"),
    re_path(
        FO3 + r"notification-subscriptions/marketPrice/markets/?$",
        notifications.alert_markets,
        name="v3-price-alert-markets",
    ),
    re_path(FO3 + r"notification-subscriptions/marketPrice/?$", notifications.alerts, name="v3-price-alerts"),
    re_path(FO3 + r"ui/settings/?$", ui.ui_settings, name="v3-ui-settings"),
    re_path(FO3 + r"ui/layouts/?$", ui.layouts, name="v3-ui-layouts"),
    re_path(FO3 + r"ui/layouts/order/?$", ui.layout_order, name="v3-ui-layout-order"),
    re_path(FO3 + r"ui/layouts/" + ID.format("id") + "/?$", ui.layout, name="v3-ui-layout"),
    re_path(FO3 + r"ui/layouts/" + ID.format("id") + "/name/?$", ui.layout_name, name="v3-ui-layout-name"),
    re_path(FO3 + r"ui/templates/?$", ui.templates, name="v3-ui-templates"),
    re_path(NOTE + r"/?$", notifications.notifications, name="trader-notifications"),
    re_path(NOTE + r"/unread-count/?$", notifications.unread_count, name="trader-notifications-unread"),
    re_path(NOTE + r"/mark-as-read/?$", notifications.mark_read, name="trader-notifications-read"),
    re_path(NOTE + r"/mark-all-as-read/?$", notifications.mark_all_read, name="trader-notifications-read-all"),
]
