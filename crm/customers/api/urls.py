"""Registers the clients API on the back-office router."""

from crm.core.api.routers import backoffice
from crm.customers.api.sales_statuses import SalesStatusViewSet
from crm.customers.api.views import CustomerViewSet

backoffice.register("customers", CustomerViewSet, basename="customer")
backoffice.register("sales-statuses", SalesStatusViewSet, basename="sales-status")

urlpatterns: list = []
