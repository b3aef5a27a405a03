"""Thin task wrappers around the communications services."""

from celery import shared_task

from crm.communications.services import push
from crm.communications.work import PUSHES
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
