"""Report tasks: build one run, start the runs of due templates, delete expired files."""

from __future__ import annotations

from celery import shared_task

from crm.reports import services


@shared_task(acks_late=True, soft_time_limit=60 * 60, time_limit=60 * 60 + 60)
def run_report_task(run_id: int) -> None:
    """Build one report run; a run done, failed or gone is skipped, so running twice makes one file."""
    services.run_report(run_id)


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def run_due_report_templates_task() -> int:
    """Start a run of every report template whose scheduled time has come."""
    return services.run_due_templates()


@shared_task(acks_late=True, time_limit=30 * 60)
def delete_expired_reports_task() -> int:
    """Delete expired report files and their runs."""
    return services.delete_expired_reports()
