"""Trading's events and the handlers it subscribes.

Emitted (services): `order.filled`, `position.opened`, `position.closed` (payload documented in
crm/affiliates/services/actions.py, plus `profit` and `reason`), `margin.call`, `stop_out`.
Handled: `position.opened` / `position.closed` keep the client's `open_positions_count` current; `margin.call`
and `stop_out` raise trader notifications (001 "Trader notifications").
"""

from __future__ import annotations

from decimal import Decimal

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.customers.models import Customer
from crm.trading import selectors, services
from crm.trading.models import Position, TraderNotification
from crm.wallets.models import Wallet


@handles("position.opened")
@handles("position.closed")
def count_open_positions(event: OutboxEvent) -> None:
    """Recount the client's open positions (a recount, so handling an event twice is harmless)."""
    customer_id = event.payload.get("customer_id")
    if not customer_id:
        return
    count = Position.objects.open().filter(account__customer_id=customer_id).count()
    Customer.objects.filter(pk=customer_id).update(open_positions_count=count)


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
