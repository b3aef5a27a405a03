"""Report runs are stored work (crm.core.work): a run whose task message was lost, or whose worker died, is built
by the sweep; a message delivered again while a worker holds the run builds nothing; a run whose workers keep
dying fails, saying so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.core import work
from crm.core.roles import Role
from crm.reports import services
from crm.reports.models import ReportRun
from crm.reports.work import RUNS
from tests.conftest import staff_with_role

pytestmark = pytest.mark.django_db
PARAMS = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def owner():
    return staff_with_role(Role.FINANCE)


def _run(owner, **fields) -> ReportRun:
    return ReportRun.objects.create(
        owner=owner, kind="balance", params=services.clean_params("balance", PARAMS), **fields
    )


def test_a_run_whose_message_was_lost_is_built_by_the_sweep(owner, django_capture_on_commit_callbacks):
    run = services.create_report_run(owner=owner, kind="balance", params=PARAMS)  # its message is never sent
    assert run.next_attempt_at > timezone.now()
    assert work.sweep(RUNS) == 0  # not yet: the message has its first wait to arrive

    later = timezone.now() + dt.timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        sent = work.sweep(RUNS, now=later)

    run.refresh_from_db()
    assert sent == 1
    assert (run.status, run.attempts) == (ReportRun.Status.DONE, 1)
    assert run.file


def test_a_message_delivered_again_while_a_worker_builds_the_run_does_nothing(owner):
    started = timezone.now() - dt.timedelta(minutes=25)  # past the broker's visibility timeout, inside the lease
    run = _run(owner, status=ReportRun.Status.RUNNING, attempts=1, started_at=started)

    assert services.run_report(run.pk) is None

    run.refresh_from_db()
    assert (run.status, run.attempts, run.started_at) == (ReportRun.Status.RUNNING, 1, started)
    assert not run.file


def test_a_run_whose_worker_died_is_built_again_after_its_lease(owner, django_capture_on_commit_callbacks):
    started = timezone.now() - RUNS.lease - dt.timedelta(seconds=1)
    run = _run(
        owner, status=ReportRun.Status.RUNNING, attempts=1, started_at=started, next_attempt_at=started + RUNS.lease
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert work.sweep(RUNS) == 1

    run.refresh_from_db()
    assert (run.status, run.attempts) == (ReportRun.Status.DONE, 2)


def test_a_run_whose_workers_keep_dying_fails_saying_so(owner):
    past = timezone.now() - dt.timedelta(minutes=1)
    run = _run(owner, status=ReportRun.Status.RUNNING, attempts=RUNS.max_attempts, next_attempt_at=past)

    assert work.sweep(RUNS) == 0

    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert run.error == f"The report was interrupted {RUNS.max_attempts} times."
