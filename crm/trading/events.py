"""Trading's events and the handlers it subscribes.

Emitted (services): `order.filled`, `position.opened`, `position.closed` (payload documented in
crm/affiliates/services/actions.py, plus `profit` and `reason`), `margin.call`, `stop_out`.
Handled: `position.opened` / `position.closed` keep the client's `open_positions_count` current.
"""

from __future__ import annotations

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.customers.models import Customer
from crm.trading.models import Position


@handles("position.opened")
@handles("position.closed")
def count_open_positions(event: OutboxEvent) -> None:
    """Recount the client's open positions (a recount, so handling an event twice is harmless)."""
    customer_id = event.payload.get("customer_id")
    if not customer_id:
        return
    count = Position.objects.open().filter(account__customer_id=customer_id).count()
    Customer.objects.filter(pk=customer_id).update(open_positions_count=count)
