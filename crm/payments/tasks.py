from celery import shared_task

from crm.payments import services
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
