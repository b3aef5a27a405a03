import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from crm.core import work
from crm.core.exports import services as exports_services
from crm.core.models import Activity, ExportJob
from crm.core.tasks import delete_expired_exports_task, run_export_task
from tests.core.factories import ActivityFactory, ExportJobFactory
from tests.core.xlsx import read_rows

pytestmark = pytest.mark.django_db


def test_running_the_export_task_twice_makes_one_file(admin_user, tmp_path):
    ActivityFactory.create_batch(3)
    job = ExportJobFactory(owner=admin_user)

    run_export_task(job.pk)
    job.refresh_from_db()
    first_file = job.file.name
    run_export_task(job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.file.name == first_file
    assert [p.name for p in (tmp_path / "private" / "exports" / str(admin_user.pk)).iterdir()] == [
        first_file.rsplit("/", 1)[-1]
    ]
    assert len(read_rows(job)) == 4


def test_export_task_for_a_deleted_job_does_nothing():
    run_export_task(987654)

    assert ExportJob.objects.count() == 0


def test_export_task_writes_progress_and_expiry(admin_user, monkeypatch):
    monkeypatch.setattr("crm.core.exports.services.PROGRESS_EVERY", 2)
    ActivityFactory.create_batch(5)
    job = ExportJobFactory(owner=admin_user)
    seen = []
    original_update = ExportJob.objects.filter(pk=job.pk).update

    def record(**kwargs):
        seen.append(kwargs)
        return original_update(**kwargs)

    monkeypatch.setattr("crm.core.models.ExportJobQuerySet.update", lambda qs, **kw: record(**kw))

    run_export_task(job.pk)

    job.refresh_from_db()
    assert seen == [{"rows_total": 5}, {"rows_done": 2}, {"rows_done": 4}]
    assert (job.rows_done, job.rows_total, job.percent) == (5, 5, 100)
    assert job.expires_at - job.finished_at == dt.timedelta(hours=72)


def test_export_task_logs_its_activity_in_the_task_channel(admin_user):
    job = ExportJobFactory(owner=admin_user)

    run_export_task.delay(job.pk)

    activity = Activity.objects.get(action="export.completed")
    assert (activity.actor, activity.channel, activity.ip_address) == (admin_user, "task:run_export_task", None)
    assert activity.data == {"rows": 0}


def test_cleanup_deletes_expired_files_and_keeps_fresh_ones(tmp_path):
    now = timezone.now()
    old = ExportJobFactory(status="done", expires_at=now - dt.timedelta(minutes=1))
    old.file.save("old.xlsx", ContentFile(b"old"), save=True)
    fresh = ExportJobFactory(status="done", expires_at=now + dt.timedelta(hours=1))
    fresh.file.save("fresh.xlsx", ContentFile(b"fresh"), save=True)
    old_path = tmp_path / "private" / old.file.name

    deleted = delete_expired_exports_task()
    again = delete_expired_exports_task()

    assert (deleted, again) == (1, 0)
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not old_path.exists()
    assert (tmp_path / "private" / fresh.file.name).exists()


def test_an_export_whose_task_was_lost_or_died_is_built_by_the_sweep(admin_user, django_capture_on_commit_callbacks):
    ActivityFactory.create_batch(2)
    ExportJobFactory(owner=admin_user, next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    died = ExportJobFactory(owner=admin_user)
    exports_services._claim(died.pk)  # a worker took it, then died
    with django_capture_on_commit_callbacks(execute=True):
        first = work.sweep(work.EXPORTS)
    died_at = timezone.now() - work.EXPORTS.lease - dt.timedelta(seconds=1)
    ExportJob.objects.filter(pk=died.pk).update(started_at=died_at, next_attempt_at=died_at + work.EXPORTS.lease)

    with django_capture_on_commit_callbacks(execute=True):
        second = work.sweep(work.EXPORTS)

    assert (first, second) == (1, 1)
    assert set(ExportJob.objects.values_list("status", "attempts")) == {("done", 1), ("done", 2)}


def test_an_export_that_keeps_dying_fails_with_a_reason(admin_user):
    job = ExportJobFactory(owner=admin_user, status="running", attempts=3, next_attempt_at=timezone.now())

    assert work.sweep(work.EXPORTS, now=timezone.now() + dt.timedelta(seconds=1)) == 0

    job.refresh_from_db()
    assert (job.status, job.error) == (
        "failed",
        "The export did not finish in 3 attempts; narrow the list and export again.",
    )
