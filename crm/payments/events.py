"""Facts of other domains payments acts on.

Handled: `withdrawal.approved` -> the payout through the withdrawal's provider (`start_payout`).
Emitted (services_payouts): `payout.failed` (the money went back to the wallet; Finance follows it up) and
`payout.attention_needed` (Finance must send it again, pay it by hand or fail it). Deposits refunded or
charged back emit `deposit.refunded` / `deposit.charged_back` from the wallets domain. A provider webhook that
failed or contradicts the recorded outcome emits `webhook.failed` (services `_finish`).
"""

from __future__ import annotations

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.payments import services_payouts


@handles("withdrawal.approved")
def start_payout(event: OutboxEvent) -> None:
    """Pay the approved withdrawal out; the event handled again finds the payout already there."""
    if event.payload.get("transaction_id"):
        services_payouts.start_payout(int(event.payload["transaction_id"]))
