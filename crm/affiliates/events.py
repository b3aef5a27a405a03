"""Events of the affiliate program.

Emitted: `affiliate.enrolled`, `affiliate.moved`, `affiliate.status_changed`, `affiliate.updated`,
`affiliate.referral_attributed`, `affiliate.referral_flagged`, `affiliate.referral_reassigned`,
`affiliates.commissions_calculated`, `affiliates.commissions_approved`, `affiliates.commission_corrected`,
`affiliate.payout_requested`, `affiliate.payout_approved`, `affiliate.payout_rejected`.

Handled (each handler is idempotent: actions are unique per source, attribution once per client):
- `customer.registered`, `customer.created` -> attribution of the new client;
- `lead.created` -> attribution of the lead; `lead.qualified` (payload `lead_id`), or `lead.status_changed`
  to a sales status listed in the setting `affiliates.qualified_lead_statuses` -> a CPL action;
- `deposit.first` / `client.ftd` -> FTD; `deposit.completed` -> DEPOSIT; `withdrawal.approved` -> WITHDRAWAL;
  `withdrawal.refunded` / `withdrawal.failed` (payout failed) -> REFUND of the withdrawal;
  `deposit.refunded` / `deposit.charged_back` -> REFUND / CHARGEBACK of the deposit;
- `position.closed` -> POSITION_CLOSED (payload in `services/actions.py`);
- `order.filled` of a spot market (`market_type` SPOT, with `fill_id`) -> SPOT_TRADE (the same payload).
The commission run itself is a beat task over the stored actions (tasks.py).
"""

from __future__ import annotations

from crm.affiliates.models import ReferralAction
from crm.affiliates.services import actions, attribution
from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.core.services import get_setting

Type = ReferralAction.Type


@handles("customer.created")
@handles("customer.registered")
def attribute_new_customer(event: OutboxEvent) -> None:
    """Decide the introducer of a new client; the first attribution wins."""
    if event.payload.get("customer_id"):
        attribution.attribute_customer(int(event.payload["customer_id"]))


@handles("lead.created")
def attribute_new_lead(event: OutboxEvent) -> None:
    if event.payload.get("lead_id"):
        attribution.attribute_lead(int(event.payload["lead_id"]))


@handles("lead.qualified")
def record_qualified_lead(event: OutboxEvent) -> None:
    if event.payload.get("lead_id"):
        actions.record_lead_qualified(int(event.payload["lead_id"]), occurred_at=event.created_at)


@handles("lead.status_changed")
def record_lead_reaching_qualified_status(event: OutboxEvent) -> None:
    """A lead moved to one of the sales statuses the program counts as qualified."""
    status_id = event.payload.get("sales_status_id")
    if not status_id or not event.payload.get("lead_id"):
        return
    from crm.customers.models import SalesStatus

    names = get_setting("affiliates.qualified_lead_statuses", [])
    if names and SalesStatus.objects.filter(pk=status_id, name__in=names).exists():
        actions.record_lead_qualified(int(event.payload["lead_id"]), occurred_at=event.created_at)


def _money(action_type: str):
    def handler(event: OutboxEvent) -> None:
        actions.record_money_action(action_type, event.payload, occurred_at=event.created_at)

    handler.__name__ = handler.__qualname__ = f"record_{action_type.lower()}"
    return handler


MONEY_EVENTS = {
    "deposit.first": Type.FTD,
    "client.ftd": Type.FTD,
    "deposit.completed": Type.DEPOSIT,
    "withdrawal.approved": Type.WITHDRAWAL,
    "withdrawal.refunded": Type.REFUND,
    "withdrawal.failed": Type.REFUND,
    "deposit.refunded": Type.REFUND,
    "deposit.charged_back": Type.CHARGEBACK,
}
_MONEY_HANDLERS = {action_type: _money(action_type) for action_type in set(MONEY_EVENTS.values())}
for _name, _type in MONEY_EVENTS.items():
    handles(_name)(_MONEY_HANDLERS[_type])


@handles("position.closed")
def record_closed_position(event: OutboxEvent) -> None:
    actions.record_closed_positions([event.payload])


@handles("order.filled")
def record_spot_trade(event: OutboxEvent) -> None:
    """A spot market's fill is a trade of its own (no position closes later); other fills wait for their close."""
    if event.payload.get("market_type") == "SPOT":
        actions.record_spot_trades([event.payload])
