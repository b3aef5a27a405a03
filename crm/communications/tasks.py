"""Thin task wrappers around the communications services."""

from celery import shared_task

from crm.communications.services import calls, push
from crm.communications.work import CALL_EVENTS, PUSHES
from crm.core import work


@shared_task(**work.retrying(time_limit=120))
def send_push_task(push_id: int) -> None:
    """Deliver one queued web push; one already sent is left alone."""
    if work.claim(PUSHES, push_id):
        push.send_push(push_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_pushes_task() -> int:
    """Send again the web pushes whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(PUSHES)


@shared_task(**work.retrying(time_limit=90))
def process_call_event_task(event_id: int) -> None:
    """Apply one stored VoIP webhook to its call; one already processed is skipped."""
    if work.claim(CALL_EVENTS, event_id):
        calls.process_call_event(event_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_call_events_task() -> int:
    """Send again the VoIP webhooks whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(CALL_EVENTS)
