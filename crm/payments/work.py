"""The payments' stored work (crm.core.work): provider webhooks and payouts, each swept by its own beat entry."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from crm.core.work import Kind


def _webhooks_out_of_attempts(pks: list[int]) -> None:
    from crm.payments.services import give_up_webhooks

    give_up_webhooks(pks)


def _payouts_out_of_attempts(pks: list[int]) -> None:
    from crm.payments.services_payouts import give_up_payouts

    give_up_payouts(pks)


WEBHOOKS = Kind(
    name="payments.webhook",
    label="Payments: process provider webhooks whose task was lost",
    model_label="payments.WebhookEvent",
    task_name="crm.payments.tasks.process_webhook_task",
    sweep_task_name="crm.payments.tasks.sweep_webhooks_task",
    pending=Q(signature_valid=True, processed_at=None),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=10,
    give_up=_webhooks_out_of_attempts,
)

PAYOUTS = Kind(
    name="payments.payout",
    label="Payments: send payouts whose task was lost",
    model_label="payments.Payout",
    task_name="crm.payments.tasks.send_payout_task",
    sweep_task_name="crm.payments.tasks.sweep_payouts_task",
    pending=Q(status__in=["queued", "sending"]),
    first_wait=dt.timedelta(seconds=120),
    lease=dt.timedelta(seconds=360),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=10,
    give_up=_payouts_out_of_attempts,
)
