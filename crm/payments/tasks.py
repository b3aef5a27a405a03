from celery import shared_task

from crm.core import work
from crm.payments import services, services_payouts
from crm.payments.adapters import ProviderUnavailable
from crm.payments.work import PAYOUTS, WEBHOOKS


@shared_task(**work.retrying(ProviderUnavailable, time_limit=90))
def process_webhook_task(webhook_id: int) -> None:
    """Process one stored provider webhook; webhooks already processed are skipped."""
    if work.claim(WEBHOOKS, webhook_id):
        services.process_webhook(webhook_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_webhooks_task() -> int:
    """Send again the provider webhooks whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(WEBHOOKS)


@shared_task(bind=True, **work.retrying(time_limit=300))
def send_payout_task(self, payout_id: int) -> None:
    """Send one payout to its provider; a payout already sent, finished or being sent is left alone."""
    try:
        services_payouts.send_payout(payout_id)
    except ProviderUnavailable as exc:
        if self.request.is_eager:
            # In-process (no broker) a retry would run at once inside the request: the sweep sends it later.
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 600)) from exc


@shared_task(**work.retrying(time_limit=60))
def sweep_payouts_task() -> int:
    """Send again the payouts whose task was lost (scheduled by beat); returns how many were queued."""
    return work.sweep(PAYOUTS)
