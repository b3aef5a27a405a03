"""Registers the leads API on the back-office router."""

from crm.core.api.routers import backoffice
from crm.sales.api.imports import LeadImportViewSet
from crm.sales.api.rules import AssignmentRuleViewSet
from crm.sales.api.views import LeadViewSet

backoffice.register("leads", LeadViewSet, basename="lead")
backoffice.register("lead-imports", LeadImportViewSet, basename="lead-import")
backoffice.register("lead-assignment-rules", AssignmentRuleViewSet, basename="lead-assignment-rule")

urlpatterns: list = []
