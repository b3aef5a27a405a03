from celery import Task, shared_task

from crm.core import events, work
from crm.core.exports import services as exports


@shared_task(bind=True, **work.retrying(time_limit=300, max_retries=8))
def dispatch_event_task(self: Task[[int], None], event_id: int) -> None:
    """Run the handlers of one outbox event; handlers already run are skipped."""
    try:
        events.dispatch_event(event_id)
    except events.HandlerFailed as exc:
        if self.request.is_eager:
            # In-process (no broker): a retry would re-run at once inside the request. The event stays
            # pending for the periodic sweep or the admin's "Dispatch again".
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 10, 600)) from exc


@shared_task(**work.retrying(time_limit=60))
def dispatch_pending_events_task() -> int:
    """Send again the outbox events that were never dispatched (broker down, worker lost); scheduled by beat."""
    return work.sweep(work.OUTBOX)


@shared_task(**work.retrying(time_limit=900, max_retries=3))
def run_export_task(job_id: int) -> None:
    """Build the XLSX file of one export job; a job already done or failed is left alone."""
    exports.run_export(job_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_exports_task() -> int:
    """Run again the export jobs whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(work.EXPORTS)


@shared_task(**work.retrying(time_limit=600))
def delete_expired_exports_task() -> int:
    """Delete export files past their expiry; scheduled daily by beat."""
    return exports.delete_expired_exports()
