"""What each staff role may do with reports (each report also needs its data's view permission)."""

from crm.core.roles import Role

_RUN = ["reports.view_reportrun", "reports.add_reportrun", "reports.delete_reportrun"]
_SCHEDULE = [
    "reports.view_reporttemplate",
    "reports.add_reporttemplate",
    "reports.change_reporttemplate",
    "reports.delete_reporttemplate",
]

GRANTS = {
    Role.SALES_AGENT: _RUN,
    Role.RETENTION_AGENT: _RUN,
    Role.SALES_MANAGER: [*_RUN, *_SCHEDULE],
    Role.FINANCE: [*_RUN, *_SCHEDULE],
    Role.AFFILIATE_MANAGER: [*_RUN, *_SCHEDULE],
    Role.DEALER: [*_RUN, *_SCHEDULE],
    Role.COMPLIANCE: [*_RUN, *_SCHEDULE],
}
# The schedule sweeps act on everyone's reports: Admin only (staff run their own templates from "Run now" there).
RUN_NOW = {
    "crm.reports.tasks.run_due_report_templates_task": "reports.view_all_reportruns",
    "crm.reports.tasks.delete_expired_reports_task": "reports.view_all_reportruns",
    "crm.reports.tasks.sweep_report_runs_task": "reports.view_all_reportruns",
    "crm.reports.tasks.refresh_dashboard_rollups_task": "reports.view_all_reportruns",
}
