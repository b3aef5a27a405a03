"""Core endpoints on the audience routers (export jobs)."""

from crm.core.api import routers
from crm.core.api.exports import ExportJobViewSet

routers.backoffice.register("exports", ExportJobViewSet, basename="exportjob")
