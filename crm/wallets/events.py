"""Events of wallets and money.

Handled: `customer.registered` (portal, affiliate and partner sign-ups) opens the new client's default wallet
in the platform and group staff configured (`services.configure_default_wallet`).
"""

from __future__ import annotations

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.customers.models import Customer
from crm.wallets import services


@handles("customer.registered")
def open_default_wallet_of_new_client(event: OutboxEvent) -> None:
    """Open the new client's default wallet; running twice opens one."""
    customer = Customer.objects.filter(pk=event.payload.get("customer_id")).first()
    if customer is not None:
        services.open_default_wallet(customer)
