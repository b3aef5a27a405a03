"""Trading's events and the handlers it subscribes.

Emitted (services): `order.filled`, `position.opened`, `position.closed` (payload documented in
crm/affiliates/services/actions.py, plus `profit` and `reason`), `margin.call`, `stop_out`.
Handled: `position.opened` / `position.closed` keep the client's `open_positions_count` current; all five are
pushed to the portal sockets following the account (crm.trading.live), with the account's figures after them;
`margin.call` and `stop_out` raise trader notifications (001 "Trader notifications").
`backapi.transfer_callback` (crm.trading.services.transfers) POSTs the transfer to the back-office caller's
`callbackUrl` (signed when a secret is set); a network failure or a 5xx answer fails the handler, so the outbox
retries it with backoff.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from crm.core import http
from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.customers.models import Customer
from crm.trading import live, selectors, services
from crm.trading.models import Order, Position, TraderNotification
from crm.trading.services import transfers as transfer_services
from crm.wallets.models import Transaction, Wallet

logger = logging.getLogger(__name__)


@handles("position.opened")
@handles("position.closed")
def count_open_positions(event: OutboxEvent) -> None:
    """Recount the client's open positions (a recount, so handling an event twice is harmless)."""
    customer_id = event.payload.get("customer_id")
    if not customer_id:
        return
    count = Position.objects.open().filter(account__customer_id=customer_id).count()
    Customer.objects.filter(pk=customer_id).update(open_positions_count=count)


@handles("order.filled")
@handles("position.opened")
@handles("position.closed")
@handles("margin.call")
@handles("stop_out")
def push_to_live_sockets(event: OutboxEvent) -> None:
    """Tell the account's sockets what happened, then its figures now (best effort, never raises for the layer)."""
    payload = event.payload
    message: dict[str, Any] = {"type": event.name, "event_id": event.pk}
    account_id = payload.get("account_id")
    if event.name == "order.filled":
        order = Order.objects.select_related("instrument").filter(pk=payload.get("order_id")).first()
        if order is None:
            return
        account_id = order.account_id
        message["order"] = live.order_data(order)
    elif event.name in ("position.opened", "position.closed", "stop_out"):
        position = Position.objects.select_related("instrument").filter(pk=payload.get("position_id")).first()
        if position is None:
            return
        message["position"] = live.position_data(position)
        if event.name == "stop_out":
            message["note"] = payload.get("note", "")
    else:
        message["margin_level"] = payload.get("margin_level")
    account = Wallet.objects.select_related("currency").filter(pk=account_id).first()
    if account is None:
        return
    message["account"] = account.pk
    live.push_account(account.pk, message)
    live.push_account(account.pk, live.account_message(account))


@handles("margin.call")
def margin_call_notification(event: OutboxEvent) -> None:
    """A MarginCall trader notification, at most one per account and hour (the check repeats every tick)."""
    account = Wallet.objects.filter(pk=event.payload.get("account_id")).first()
    if account is None:
        return
    level = selectors.group_settings(account).margin_call_level
    services.notify(
        account,
        type=TraderNotification.Type.MARGIN_CALL,
        key=f"margin_call:{account.pk}:{event.created_at:%Y%m%d%H}",
        data={"marginCallLevel": _text(level), "marginLevel": str(event.payload.get("margin_level", ""))},
    )


@handles("stop_out")
def stop_out_notification(event: OutboxEvent) -> None:
    """A StopOut trader notification per position closed by a stop-out."""
    account = Wallet.objects.filter(pk=event.payload.get("account_id")).first()
    if account is None:
        return
    level = selectors.group_settings(account).stop_out_level
    position_id = event.payload.get("position_id")
    services.notify(
        account,
        type=TraderNotification.Type.STOP_OUT,
        key=f"stop_out:{position_id}",
        data={"positionId": str(position_id), "stopOutLevel": _text(level), "note": event.payload.get("note", "")},
    )


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


@handles(transfer_services.CALLBACK_EVENT)
def deliver_transfer_callback(event: OutboxEvent) -> None:
    """POST `{"event", "transfer"}` to the callback URL; retried by the outbox until it answers below 500."""
    from crm.trading.compat.backoffice.transfers import BackApiTransferSerializer

    url = str(event.payload["url"])
    txn = Transaction.objects.filter(pk=event.payload.get("transaction_id")).first()
    if txn is None:
        return
    try:
        transfer_services.check_callback_target(url)
    except (transfer_services.CallbackRefused, OSError):
        # An internal address (or a name that no longer resolves) is not retried: it would never become safe.
        logger.warning("Transfer callback of event %s refused: %s", event.pk, url)
        return
    body = json.dumps({"event": event.payload.get("event"), "transfer": BackApiTransferSerializer(txn).data}).encode()
    headers = {"Content-Type": "application/json", **transfer_services.callback_signature(body)}
    response = http.send("POST", url, headers=headers, body=body)
    if response.status >= 400:
        logger.warning("Transfer callback of event %s answered %s: %s", event.pk, response.status, url)
