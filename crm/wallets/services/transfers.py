"""Transfers between a client's own wallets, converted at the current rate when currencies differ."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.events import event_values
from crm.core.money import to_decimal
from crm.core.services import activity_values
from crm.customers.models import Customer
from crm.wallets.exceptions import OperationNotAllowed
from crm.wallets.models import Transaction, Wallet
from crm.wallets.services.common import payload, replayed
from crm.wallets.services.gates import TRANSFER, check_client_operation, lock_customer
from crm.wallets.services.ledger import (
    create_transaction,
    lock_wallets,
    post_entry,
    system_account,
)
from crm.wallets.services.rates import check_precision, convert

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor


@transaction.atomic
def transfer_between_wallets(
    customer: Customer,
    *,
    source: Wallet,
    target: Wallet,
    amount: Decimal,
    actor: Actor,
    request_key: str = "",
) -> Transaction:
    """Move money from one of the client's wallets to another. The same request key twice moves it once.

    Across currencies the target receives the amount at the current rate, rounded down; the FX
    system accounts of both currencies take the other side, so each currency balances.
    """
    amount = to_decimal(amount)
    if source.pk == target.pk:
        raise ValidationError({"target_wallet": [_("Choose another wallet.")]})
    client = lock_customer(customer)
    customer = client.customer
    earlier = replayed(customer.pk, request_key, kind=Transaction.Type.WALLET_TRANSFER, amount=amount)
    if earlier is not None:
        return earlier
    locked = lock_wallets([source, target])
    source, target = locked[source.pk], locked[target.pk]
    check_precision(amount, source.currency)
    check_client_operation(client, operation=TRANSFER, wallet=source, amount=amount)
    if target.customer_id != customer.pk or not target.is_enabled or not target.can_transfer:
        raise OperationNotAllowed(
            _("The target wallet cannot receive transfers; choose another wallet or contact support."),
            code="wallet_operation_off",
            fields={"target_wallet": [target.number], "next_step": ["contact_support"]},
        )
    if target.is_demo != source.is_demo:
        raise OperationNotAllowed(
            _("Money does not move between demo and live accounts; choose a wallet of the same kind."),
            code="demo_wallet",
            fields={"target_wallet": [target.number], "next_step": ["use_live_wallet"]},
        )

    conversion = convert(amount, source.currency, target.currency)
    if conversion.converted <= 0:
        raise ValidationError({"amount": [_("Too small to convert.")]})
    txn = create_transaction(
        type=Transaction.Type.WALLET_TRANSFER,
        status=Transaction.Status.COMPLETED,
        customer=customer,
        wallet=source,
        counter_wallet=target,
        currency=source.currency,
        amount=amount,
        target_amount=conversion.converted,
        target_currency=target.currency,
        exchange_rate=conversion.rate,
        requested_by=user_or_none(actor),
        completed_at=timezone.now(),
        request_key=request_key,
    )
    if source.currency_id == target.currency_id:
        legs = [(source, -amount), (target, amount)]
    else:
        legs = [
            (source, -amount),
            (system_account("fx", source.currency_id), amount),
            (system_account("fx", target.currency_id), -conversion.converted),
            (target, conversion.converted),
        ]
    activity = activity_values(
        actor=actor,
        action="transfer.completed",
        target=txn,
        data={"amount": amount, "to": target.pk, "received": conversion.converted, "rate": conversion.rate},
    )
    event = event_values(
        "transfer.completed", **payload(txn, target_wallet_id=target.pk, target_amount=str(conversion.converted))
    )
    post_entry(
        idempotency_key=f"transfer:{txn.pk}",
        postings=legs,
        kind=Transaction.Type.WALLET_TRANSFER,
        description=f"Transfer {source.number} -> {target.number}",
        actor=user_or_none(actor),
        transaction_obj=txn,
        locked=locked,
        record=(activity, event),  # on PostgreSQL, written in the entry's statement
    )
    return txn
