"""Clients' stored work (crm.core.work): KYC provider webhooks, swept by their own beat entry."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from crm.core.work import Kind

KYC_WEBHOOKS = Kind(
    name="customers.kyc_webhook",
    label="KYC: process provider webhooks whose task was lost",
    model_label="customers.KycWebhook",
    task_name="crm.customers.tasks.process_kyc_webhook_task",
    sweep_task_name="crm.customers.tasks.sweep_kyc_webhooks_task",
    pending=Q(processed_at=None),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=360),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=10,
)
