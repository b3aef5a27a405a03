"""Thin Celery wrappers around clients services."""

from celery import shared_task

from crm.core import work
from crm.core.http import ProviderUnavailable
from crm.customers.services import kyc_provider
from crm.customers.work import KYC_WEBHOOKS


@shared_task(**work.retrying(ProviderUnavailable, time_limit=300))
def process_kyc_webhook_task(webhook_id: int) -> None:
    """Process one stored KYC webhook; webhooks already processed are skipped."""
    if work.claim(KYC_WEBHOOKS, webhook_id):
        kyc_provider.process_kyc_webhook(webhook_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_kyc_webhooks_task() -> int:
    """Send again the KYC webhooks whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(KYC_WEBHOOKS)
