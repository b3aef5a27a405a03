"""Thin Celery wrappers around clients services."""

from celery import shared_task

from crm.core.http import ProviderUnavailable
from crm.customers.services import kyc_provider


@shared_task(
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def process_kyc_webhook_task(webhook_id: int) -> None:
    """Process one stored KYC webhook; webhooks already processed are skipped."""
    kyc_provider.process_kyc_webhook(webhook_id)
