"""Thin Celery tasks of communications: take an id, claim the stored row, call the service."""

from __future__ import annotations

from celery import Task, shared_task

from crm.communications.services import calls, email_webhooks, push
from crm.communications.services import email as email_services
from crm.communications.work import CALL_EVENTS, EMAIL_WEBHOOKS, EMAILS, PUSHES
from crm.core import work


@shared_task(bind=True, **work.retrying(time_limit=90))
def send_email_task(self: Task[[int], None], message_id: int) -> None:
    """Send one queued email; an email already sent or failed is left alone. Transient provider errors are
    retried with backoff (the sweep sends it again when the retries of this message run out)."""
    if not work.claim(EMAILS, message_id):
        return
    try:
        email_services.send_email_message(message_id)
    except email_services.EmailTransientError as exc:
        if self.request.is_eager:
            # In-process (no broker) a retry would run at once inside the request: the sweep sends it later.
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 900)) from exc


@shared_task(**work.retrying(time_limit=60))
def sweep_emails_task() -> int:
    """Send again the queued emails whose task was lost or failed (scheduled by beat); returns how many."""
    return work.sweep(EMAILS)


@shared_task(**work.retrying(time_limit=90))
def process_email_webhook_task(webhook_id: int) -> None:
    """Record one stored delivery webhook on the outbound log; webhooks already processed are skipped."""
    if work.claim(EMAIL_WEBHOOKS, webhook_id):
        email_webhooks.process_email_webhook(webhook_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_email_webhooks_task() -> int:
    """Process again the delivery webhooks whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(EMAIL_WEBHOOKS)


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
