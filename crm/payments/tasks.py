from celery import shared_task

from crm.payments import services, services_payouts
from crm.payments.adapters import ProviderUnavailable


@shared_task(
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def process_webhook_task(webhook_id: int) -> None:
    """Process one stored provider webhook; webhooks already processed are skipped."""
    services.process_webhook(webhook_id)


@shared_task(bind=True, acks_late=True, max_retries=8, time_limit=300, soft_time_limit=270)
def send_payout_task(self, payout_id: int) -> None:
    """Send one payout to its provider; a payout already sent, finished or being sent is left alone."""
    try:
        services_payouts.send_payout(payout_id)
    except ProviderUnavailable as exc:
        if self.request.is_eager:
            # In-process (no broker) a retry would run at once inside the request: the sweep sends it later.
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 3600)) from exc


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def sweep_payouts_task() -> int:
    """Send again the payouts whose task was lost (scheduled by beat); returns how many were queued."""
    ids = services_payouts.stale_payout_ids()
    for payout_id in ids:
        send_payout_task.delay(payout_id)
    return len(ids)
