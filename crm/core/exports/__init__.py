"""XLSX exports of any admin changelist or API list endpoint, built by a Celery task.

Admin: add `ExportAdminMixin` (crm.core.exports.admin) to a ModelAdmin. API: add
`ExportableViewSetMixin` (crm.core.api.exports) to a list viewset. Both record an
`ExportJob` with the list's query parameters; `run_export_task` rebuilds the same
filtered queryset as the requesting user and streams it to XLSX in constant memory.
"""

from crm.core.exports.services import create_export_job, delete_expired_exports, run_export

__all__ = ["create_export_job", "delete_expired_exports", "run_export"]
