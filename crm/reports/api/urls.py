"""Registers the reports API on the back-office router."""

from crm.core.api.routers import backoffice
from crm.reports.api import notifications, views

backoffice.register("dashboard", views.DashboardViewSet, basename="dashboard")
backoffice.register("reports/balance", views.BalanceReportViewSet, basename="report-balance")
backoffice.register("reports/affiliation", views.AffiliationReportViewSet, basename="report-affiliation")
backoffice.register("reports/transactions", views.TransactionReportViewSet, basename="report-transactions")
backoffice.register("reports/profit-loss", views.ProfitLossReportViewSet, basename="report-profit-loss")
backoffice.register("report-runs", views.ReportRunViewSet, basename="report-run")
backoffice.register("report-templates", views.ReportTemplateViewSet, basename="report-template")
backoffice.register("admin-notifications", notifications.AdminNotificationViewSet, basename="admin-notification")
