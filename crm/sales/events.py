"""Events of the sales desk.

Emitted (payloads carry ids): `lead.created`, `lead.updated`, `lead.assigned`, `lead.claimed`,
`lead.status_changed`, `lead.commented`, `lead.emailed`, `lead.called` (a VoIP call ended), `lead.follow_up_set`,
`leads.bulk_edited`, `leads.imported`, `lead.merged`, `lead.converted`.

Handled: a new client (`customer.created` from the back office, `customer.registered` from the portal
sign-up) is matched to the lead it was, by signup code, email or phone, and the lead is converted.
"""

from __future__ import annotations

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.sales.services.conversion import convert_registered_customer


@handles("customer.created")
@handles("customer.registered")
def convert_lead_of_new_customer(event: OutboxEvent) -> None:
    """Link the new client to their lead; running twice links once."""
    customer_id = event.payload.get("customer_id")
    if customer_id:
        convert_registered_customer(int(customer_id), signup_code=str(event.payload.get("signup_code") or ""))
