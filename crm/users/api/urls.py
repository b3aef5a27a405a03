"""Registers the staff API (sales desks) on the back-office router."""

from crm.core.api.routers import backoffice
from crm.users.api.desks import DeskViewSet

backoffice.register("desks", DeskViewSet, basename="desk")

urlpatterns: list = []
