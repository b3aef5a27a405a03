"""The admin notifications raised from other domains' events (crm/reports/notifications.py).

Handled: `withdrawal.requested` and `withdrawal.first_approved` (a withdrawal waits for an approval, if it still
does when the event is handled), `payout.failed`, `payout.attention_needed`, `stop_out`, `webhook.failed`
(payments) and `platform.external_order_timeout` (a trading platform reporting orders that timed out at its
liquidity provider: `interval` and `timeouts[]{marketId, count}`). Each notification's key is the event's id,
so an event handled twice notifies nobody twice.
"""

from __future__ import annotations

from typing import Any

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.core.money import round_money
from crm.reports.models import AdminNotificationType as T
from crm.reports.notifications import raise_notification
from crm.wallets.models import Transaction


def _raise(event: OutboxEvent, type: str, data: dict[str, Any]) -> None:
    raise_notification(type, key=f"event:{event.pk}", data=data)


@handles("withdrawal.requested")
@handles("withdrawal.first_approved")
def withdrawal_waiting(event: OutboxEvent) -> None:
    p = event.payload
    txn = Transaction.objects.filter(pk=p.get("transaction_id"), status=Transaction.Status.PENDING).first()
    if txn is None:
        return
    step = "second" if event.name == "withdrawal.first_approved" else "first"
    data = {
        "transactionId": str(txn.pk),
        "customerId": str(txn.customer_id),
        "amount": str(round_money(txn.amount, txn.currency_id)),
        "currency": txn.currency_id,
        "approval": step,
    }
    _raise(event, T.WITHDRAWAL_PENDING, data)


def _payout_data(p: dict[str, Any]) -> dict[str, Any]:
    currency = str(p.get("currency", ""))
    amount = str(p.get("amount", ""))
    if currency and amount:
        amount = str(round_money(amount, currency))
    return {
        "payoutId": str(p.get("payout_id", "")),
        "transactionId": str(p.get("transaction_id", "")),
        "customerId": str(p.get("customer_id", "")),
        "amount": amount,
        "currency": currency,
    }


@handles("payout.failed")
def payout_failed(event: OutboxEvent) -> None:
    _raise(event, T.PAYOUT_FAILED, {**_payout_data(event.payload), "reason": str(event.payload.get("reason", ""))})


@handles("payout.attention_needed")
def payout_attention(event: OutboxEvent) -> None:
    _raise(event, T.PAYOUT_ATTENTION, {**_payout_data(event.payload), "reason": str(event.payload.get("error", ""))})


@handles("stop_out")
def stop_out(event: OutboxEvent) -> None:
    p = event.payload
    data = {
        "accountId": str(p.get("account_id", "")),
        "customerId": str(p.get("customer_id", "")),
        "positionId": str(p.get("position_id", "")),
        "note": str(p.get("note", "")),
    }
    _raise(event, T.STOP_OUT, data)


@handles("webhook.failed")
def webhook_failed(event: OutboxEvent) -> None:
    p = event.payload
    data = {
        "webhookId": str(p.get("webhook_id", "")),
        "provider": str(p.get("provider", "")),
        "status": str(p.get("status", "")),
        "reference": str(p.get("reference", "")),
        "error": str(p.get("error", "")),
    }
    _raise(event, T.WEBHOOK_FAILED, data)


@handles("platform.external_order_timeout")
def external_order_timeout(event: OutboxEvent) -> None:
    p = event.payload
    timeouts = [
        {"marketId": str(item.get("marketId", "")), "count": int(item.get("count", 0))}
        for item in p.get("timeouts", [])
        if isinstance(item, dict)
    ]
    _raise(event, T.EXTERNAL_ORDER_TIMEOUT, {"interval": str(p.get("interval", "")), "timeouts": timeouts})
