"""Report tasks: limits every task can be sent with, and running a task twice."""

from __future__ import annotations

import pytest
from django.conf import settings

from config.celery_app import app
from crm.reports import tasks
from crm.reports.models import ReportRun


def test_every_task_of_the_project_has_a_soft_limit_below_its_hard_limit():
    app.loader.import_default_modules()
    wrong = []
    for name, task in app.tasks.items():
        if not name.startswith("crm."):
            continue
        hard = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        soft = task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        if soft > hard:
            wrong.append(f"{name}: soft {soft} > hard {hard}")

    assert wrong == []


@pytest.mark.django_db
def test_running_the_report_task_twice_builds_one_file(finance_officer):
    run = ReportRun.objects.create(
        owner=finance_officer,
        kind="balance",
        params={"start": "2026-11-01", "end": "2026-11-30", "sortBy": "-closing"},
    )

    tasks.run_report_task(run.pk)
    name = ReportRun.objects.get(pk=run.pk).file.name
    tasks.run_report_task(run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.file.name) == ("done", 1, name)
