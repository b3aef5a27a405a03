"""Report tasks: build one run, start the runs of due templates, delete expired files, refresh the dashboard's
daily rollups."""

from __future__ import annotations

from celery import shared_task

from crm.core import work
from crm.reports import rollups, services
from crm.reports.work import RUN_TIME_LIMIT, RUNS


@shared_task(**work.retrying(time_limit=RUN_TIME_LIMIT))
def run_report_task(run_id: int) -> None:
    """Build one report run; a run done, failed, gone or leased to another worker is skipped: one file."""
    services.run_report(run_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_report_runs_task() -> int:
    """Build again the report runs whose task was lost (scheduled by beat); returns how many were sent."""
    return work.sweep(RUNS)


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def run_due_report_templates_task() -> int:
    """Start a run of every report template whose scheduled time has come."""
    return services.run_due_templates()


@shared_task(acks_late=True, time_limit=30 * 60)
def delete_expired_reports_task() -> int:
    """Delete expired report files and their runs."""
    return services.delete_expired_reports()


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60)
def refresh_dashboard_rollups_task() -> int:
    """Bring the dashboard's daily rollups up to yesterday and recompute the days touched since (idempotent)."""
    return rollups.refresh()
