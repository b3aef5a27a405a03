"""Export jobs: create one for what a user sees, build its XLSX file, clean up expired files."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from crm.core import work
from crm.core.exports import sources
from crm.core.exports.writer import write_xlsx
from crm.core.models import ExportJob
from crm.core.services import record_activity
from crm.core.typing import PermissionHolder

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000


def export_retention() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "EXPORT_RETENTION_HOURS", 72))


@transaction.atomic
def create_export_job(
    *,
    owner: PermissionHolder,
    source: str,
    target: str,
    params: dict[str, Any] | None = None,
    selected_ids: list[Any] | None = None,
    description: str = "",
) -> ExportJob:
    """Record an export of a list as `owner` sees it and queue its task once the transaction commits."""
    job = ExportJob.objects.create(
        owner_id=owner.pk,
        source=source,
        target=target,
        params=sources.clean_params(params or {}),
        selected_ids=[str(pk) for pk in selected_ids or []],
        description=description[:255],
    )
    record_activity(actor=owner, action="export.requested", target=job, data={"target": target})
    ExportJob.objects.filter(pk=job.pk).update(next_attempt_at=work.first_due(work.EXPORTS))
    work.enqueue(work.EXPORTS, job.pk)
    return job


def _claim(job_id: int) -> ExportJob | None:
    """Move a pending (or interrupted running) job to running; None when it is done, failed, gone, or running
    in another task now (its lease has not ended)."""
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("owner").filter(pk=job_id).first()
        if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return None
        if job.status == ExportJob.Status.RUNNING and work.lease_held(work.EXPORTS, job.started_at, now=now):
            return None
        job.status = ExportJob.Status.RUNNING
        job.started_at = now
        job.rows_done = 0
        job.error = ""
        job.attempts += 1
        job.next_attempt_at = work.leased_until(work.EXPORTS, now=now)
        job.save(
            update_fields=["status", "started_at", "rows_done", "error", "attempts", "next_attempt_at", "updated_at"]
        )
    return job


def _release(job: ExportJob) -> None:
    try:
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.PENDING, next_attempt_at=timezone.now()
        )
    except work.TRANSIENT_ERRORS:
        logger.warning("Export %s keeps its lease: the sweep runs it again when the lease ends.", job.pk)


def give_up_exports(pks: list[int]) -> None:
    """Exports whose task died `max_attempts` times (too big for the time limit, or crashing the worker)."""
    for job in ExportJob.objects.filter(pk__in=pks, status__in=(ExportJob.Status.PENDING, ExportJob.Status.RUNNING)):
        _fail(job, f"The export did not finish in {job.attempts} attempts; narrow the list and export again.")


def run_export(job_id: int) -> ExportJob | None:
    """Build the job's XLSX file as its owner. A done or failed job is left alone, so running twice makes one file."""
    job = _claim(job_id)
    if job is None:
        return None
    try:
        rows = sources.rows_for(job)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=rows.total)

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

        with tempfile.TemporaryFile() as out:
            count = write_xlsx(
                out, rows.headers, rows.rows, title=rows.title, on_progress=progress, progress_every=PROGRESS_EVERY
            )
            out.seek(0)
            if job.file:
                job.file.delete(save=False)
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            job.file.save(f"{slugify(rows.title) or 'export'}-{job.pk}-{stamp}.xlsx", File(out), save=False)
    except sources.ExportRefused as exc:
        return _fail(job, str(exc))
    except SoftTimeLimitExceeded:
        return _fail(job, "The export took too long; narrow the list and export again.")
    except work.TRANSIENT_ERRORS:
        # Not the export's fault (database connection cut, ...): the task retries, and may claim it at once.
        _release(job)
        raise
    except Exception as exc:
        # Logged, not raised: a retry would repeat the same failure, and in-process runs must not break the page.
        logger.exception("Export %s failed", job.pk)
        return _fail(job, f"The export failed: {exc.__class__.__name__}.")
    now = timezone.now()
    job.status = ExportJob.Status.DONE
    job.rows_done = count
    job.rows_total = count
    job.finished_at = now
    job.expires_at = now + export_retention()
    job.save(update_fields=["status", "file", "rows_done", "rows_total", "finished_at", "expires_at", "updated_at"])
    record_activity(actor=job.owner, action="export.completed", target=job, data={"rows": count})
    return job


def _fail(job: ExportJob, message: str) -> ExportJob:
    job.status = ExportJob.Status.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    return job


def delete_expired_exports(*, now: dt.datetime | None = None) -> int:
    """Delete the files of export jobs past their expiry and the jobs themselves; returns how many."""
    count = 0
    for job in ExportJob.objects.expired(now).iterator(chunk_size=500):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
