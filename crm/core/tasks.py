from celery import shared_task

from crm.core import events


@shared_task(
    acks_late=True,
    autoretry_for=(events.HandlerFailed,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def dispatch_event_task(event_id: int) -> None:
    """Run the handlers of one outbox event; handlers already run are skipped."""
    events.dispatch_event(event_id)


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
