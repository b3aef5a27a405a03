"""Seed 001 "History server" paths, exactly as the seed gives them (a trailing slash is also accepted)."""

from django.urls import include, re_path

from crm.reports.history import reports, trader, views

app_name = "history"

trader_patterns = [
    re_path(r"^api/history/orders/list/?$", trader.history_orders, name="history-orders"),
    re_path(r"^api/history/orders/(?P<orderId>[^/]+)/?$", trader.history_order, name="history-order"),
]

urlpatterns = [
    re_path(r"^api/active-accounts/?$", views.ActiveAccountsView.as_view(), name="active-accounts"),
    re_path(r"^api/users/balances/?$", views.UserBalancesView.as_view(), name="user-balances"),
    re_path(r"^api/users/(?P<userId>[^/]+)/balances/?$", views.UserBalanceView.as_view(), name="user-balance"),
    re_path(r"^api/accounts/balances/?$", views.AccountBalancesView.as_view(), name="account-balances"),
    re_path(r"^api/billing/billing-info/?$", views.BillingInfoView.as_view(), name="billing-info"),
    re_path(r"^api/charting/?$", views.ChartingView.as_view(), name="charting"),
    re_path(
        r"^api/commissions/accounts-assets/?$",
        views.CommissionsAccountsAssetsView.as_view(),
        name="commissions-accounts-assets",
    ),
    re_path(
        r"^api/commissions/users-assets/?$",
        views.CommissionsUsersAssetsView.as_view(),
        name="commissions-users-assets",
    ),
    re_path(r"^api/commissions/users/?$", views.CommissionsUsersView.as_view(), name="commissions-users"),
    re_path(r"^api/commissions/accounts/?$", views.CommissionsAccountsView.as_view(), name="commissions-accounts"),
    re_path(r"^api/commissions/assets/?$", views.CommissionsAssetsView.as_view(), name="commissions-assets"),
    re_path(r"^api/external-orders/?$", views.ExternalOrdersView.as_view(), name="external-orders"),
    re_path(r"^api/v1/markups/revenue/?$", views.MarkupRevenueView.as_view(), name="markup-revenue"),
    re_path(r"^api/open-orders/?$", views.OpenOrdersView.as_view(), name="open-orders"),
    re_path(r"^api/orders/?$", views.OrdersView.as_view(), name="orders"),
    re_path(r"^api/trades/?$", views.TradesView.as_view(), name="trades"),
    re_path(r"^api/transfers/?$", views.TransfersView.as_view(), name="transfers"),
    re_path(r"^api/reports/?$", reports.ReportsView.as_view(), name="reports"),
    re_path(r"^api/reports/templates/?$", reports.TemplatesView.as_view(), name="report-templates"),
    re_path(
        r"^api/reports/templates/(?P<templateId>[^/]+)/run/?$",
        reports.TemplateRunView.as_view(),
        name="report-template-run",
    ),
    re_path(
        r"^api/reports/templates/(?P<templateId>[^/]+)/?$", reports.TemplateView.as_view(), name="report-template"
    ),
    re_path(
        r"^api/reports/(?P<reportId>[^/]+)/download/?$", reports.ReportDownloadView.as_view(), name="report-download"
    ),
    re_path(r"^api/reports/(?P<reportId>[^/]+)/?$", reports.ReportView.as_view(), name="report"),
    re_path(r"^api/unsolicited-trades/?$", views.UnsolicitedTradesView.as_view(), name="unsolicited-trades"),
    re_path(r"", include((trader_patterns, "history-trader"))),
]
