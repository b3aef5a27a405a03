"""Reports' stored work (crm.core.work): report runs, swept by their own beat entry."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from crm.core.work import Kind

MAX_ATTEMPTS = 3
# A run may take up to its task's hard limit (1 h): the lease covers it, so a message the broker delivers again
# meanwhile (its visibility timeout is 20 min) finds the run leased and does nothing.
RUN_TIME_LIMIT = 60 * 60


def _runs_out_of_attempts(pks: list[int]) -> None:
    from crm.reports.services import give_up_runs

    give_up_runs(pks)


RUNS = Kind(
    name="reports.run",
    label="Reports: build the report runs whose task was lost",
    model_label="reports.ReportRun",
    task_name="crm.reports.tasks.run_report_task",
    sweep_task_name="crm.reports.tasks.sweep_report_runs_task",
    pending=Q(status__in=["pending", "running"]),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=RUN_TIME_LIMIT + 120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=MAX_ATTEMPTS,
    give_up=_runs_out_of_attempts,
)
