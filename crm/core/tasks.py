from celery import shared_task

from crm.core import events
from crm.core.exports import services as exports


@shared_task(bind=True, acks_late=True, max_retries=8)
def dispatch_event_task(self, event_id: int) -> None:
    """Run the handlers of one outbox event; handlers already run are skipped."""
    try:
        events.dispatch_event(event_id)
    except events.HandlerFailed as exc:
        if self.request.is_eager:
            # In-process (no broker): a retry would re-run at once inside the request. The event stays
            # pending for the periodic sweep or the admin's "Dispatch again".
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 10, 3600)) from exc


@shared_task(acks_late=True)
def dispatch_pending_events_task() -> int:
    """Sweep events that were never dispatched (broker down, worker lost); scheduled by beat."""
    count = 0
    for event_id in events.pending_event_ids():
        try:
            events.dispatch_event(event_id)
        except events.HandlerFailed:
            continue
        count += 1
    return count


@shared_task(acks_late=True)
def run_export_task(job_id: int) -> None:
    """Build the XLSX file of one export job; a job already done or failed is left alone."""
    exports.run_export(job_id)


@shared_task(acks_late=True)
def delete_expired_exports_task() -> int:
    """Delete export files past their expiry; scheduled daily by beat."""
    return exports.delete_expired_exports()
