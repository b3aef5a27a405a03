"""Deposits: started by the client (then confirmed by the provider), or entered by Finance.

States of a deposit (`Transaction.status`):

    PENDING --provider: payment.succeeded, or Finance confirms--> COMPLETED
    PENDING --provider: payment.failed--> FAILED
    COMPLETED --provider: payment.refunded, or Finance records a refund--> REFUNDED
    COMPLETED --provider: payment.charged_back, or Finance records a chargeback--> CHARGED_BACK

A refund or chargeback is always of the whole deposit: the PSP takes the amount back, the wallet gives
back what the deposit left on it (amount less fee), the fee income is reversed, and whatever the wallet
no longer holds is booked to the "refund and chargeback losses" system account (a balance never goes
below zero).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.money import to_decimal
from crm.core.services import record_activity
from crm.customers.models import Customer
from crm.wallets.exceptions import InvalidTransition, OperationNotAllowed
from crm.wallets.models import Transaction, Wallet
from crm.wallets.services.common import (
    emit_transaction,
    lock_transaction,
    replayed,
    stamp,
)
from crm.wallets.services.gates import DEPOSIT, check_client_operation, lock_customer
from crm.wallets.services.ledger import lock_wallets, post_entry, system_account
from crm.wallets.services.rates import check_precision, quantize

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

PENDING = Transaction.Status.PENDING
COMPLETED = Transaction.Status.COMPLETED
REFUNDED = Transaction.Status.REFUNDED
CHARGED_BACK = Transaction.Status.CHARGED_BACK


@transaction.atomic
def start_deposit(
    customer: Customer,
    *,
    wallet: Wallet,
    amount: Decimal,
    actor: Actor,
    method: str = "",
    provider: str = "",
    fee: Decimal = Decimal(0),
    request_key: str = "",
) -> Transaction:
    """A pending deposit the provider confirms later; the same request key twice returns the first one."""
    amount = to_decimal(amount)
    client = lock_customer(customer)
    customer = client.customer
    earlier = replayed(customer.pk, request_key, kind=Transaction.Type.DEPOSIT, amount=amount)
    if earlier is not None:
        return earlier
    wallet = lock_wallets([wallet])[wallet.pk]
    check_precision(amount, wallet.currency)
    check_client_operation(client, operation=DEPOSIT, wallet=wallet, amount=amount)
    txn = Transaction.objects.create(
        type=Transaction.Type.DEPOSIT,
        status=PENDING,
        customer=customer,
        wallet=wallet,
        currency=wallet.currency,
        amount=amount,
        fee=fee,
        method=method,
        provider=provider,
        requested_by=user_or_none(actor),
        request_key=request_key,
    )
    record_activity(actor=actor, action="deposit.started", target=txn, data={"amount": amount, "method": method})
    emit_transaction("deposit.started", txn)
    return txn


@transaction.atomic
def confirm_deposit(
    txn: Transaction, *, provider_reference: str, amount: Decimal | None = None, actor: Actor = None
) -> Transaction:
    """Credit a pending deposit. Confirming the same deposit again changes nothing."""
    txn = lock_transaction(txn)
    if txn.status == COMPLETED:
        return txn
    if txn.status != PENDING or txn.type != Transaction.Type.DEPOSIT:
        raise InvalidTransition(txn, to=COMPLETED)
    user = user_or_none(actor)
    if user is not None and user.pk == txn.created_by_id:
        raise OperationNotAllowed(_("You entered this deposit; another member of Finance must confirm it."))
    if amount is not None and to_decimal(amount) != txn.amount:
        amount = check_precision(to_decimal(amount), txn.currency)
        txn.original_amount, txn.amount = txn.amount, amount
    txn.provider_reference = provider_reference or txn.provider_reference
    if user is not None:
        stamp(txn, "approved", actor)
    credit_deposit(txn, actor=actor)
    return txn


def credit_deposit(txn: Transaction, *, actor: Actor) -> None:
    """Post the deposit (less its fee), mark it completed, and mark and announce a client's first deposit."""
    wallet = txn.wallet
    legs = [(wallet, txn.amount), (system_account("psp_clearing", txn.currency_id), -txn.amount)]
    if txn.fee:
        legs += [(wallet, -txn.fee), (system_account("fee_income", txn.currency_id), txn.fee)]
    customer = lock_customer(txn.customer).customer if txn.customer is not None else None
    post_entry(
        idempotency_key=f"deposit:{txn.pk}",
        postings=legs,
        kind=txn.type,
        description=f"Deposit #{txn.pk} {txn.method}".strip(),
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    first = customer is not None and not wallet.is_demo and not _has_completed_deposit(customer)
    txn.status = COMPLETED
    txn.is_ftd = first
    fields = ["status", "is_ftd", "amount", "original_amount", "provider_reference", "approved_by", "approved_at"]
    fields += stamp(txn, "completed", actor)
    txn.save(update_fields=[*fields, "updated_at"])
    record_activity(actor=actor, action="deposit.completed", target=txn, data={"amount": txn.amount, "ftd": first})
    completed_at = txn.completed_at.isoformat()  # type: ignore[union-attr]  # stamp() has just set it
    emit_transaction("deposit.completed", txn, is_first=first, completed_at=completed_at)
    emit_transaction("transaction.completed", txn)
    if first:
        emit_transaction("deposit.first", txn, completed_at=completed_at)
        emit_transaction("client.ftd", txn, completed_at=completed_at)


def _has_completed_deposit(customer: Customer) -> bool:
    return Transaction.objects.filter(
        customer=customer,
        type=Transaction.Type.DEPOSIT,
        status__in=[COMPLETED, Transaction.Status.REFUNDED],
        wallet__is_demo=False,
    ).exists()


@transaction.atomic
def fail_deposit(txn: Transaction, *, reason: str = "", actor: Actor = None) -> Transaction:
    """The provider refused the payment; failing it again changes nothing."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.FAILED:
        return txn
    if txn.status != PENDING or txn.type != Transaction.Type.DEPOSIT:
        raise InvalidTransition(txn, to=Transaction.Status.FAILED)
    txn.status = Transaction.Status.FAILED
    txn.rejection_reason = reason[:255]
    fields = stamp(txn, "failed", actor)
    txn.save(update_fields=["status", "rejection_reason", *fields, "updated_at"])
    record_activity(actor=actor, action="deposit.failed", target=txn, data={"reason": reason})
    emit_transaction("deposit.failed", txn, reason=reason)
    return txn


@transaction.atomic
def refund_deposit(txn: Transaction, *, reason: str = "", actor: Actor = None) -> Transaction:
    """The whole deposit goes back to the payer; refunding again changes nothing. Emits `deposit.refunded`."""
    return _reverse_deposit(txn, to=REFUNDED, reason=reason, actor=actor)


@transaction.atomic
def charge_back_deposit(txn: Transaction, *, reason: str = "", actor: Actor = None) -> Transaction:
    """The payer's bank took the deposit back; recording it again changes nothing. Emits `deposit.charged_back`."""
    return _reverse_deposit(txn, to=CHARGED_BACK, reason=reason, actor=actor)


def _reverse_deposit(txn: Transaction, *, to: str, reason: str, actor: Actor) -> Transaction:
    txn = lock_transaction(txn)
    if txn.status == to:
        return txn
    if txn.type != Transaction.Type.DEPOSIT or txn.status != COMPLETED:
        raise InvalidTransition(txn, to=to)
    user = user_or_none(actor)
    if user and user.pk == txn.created_by_id:
        raise OperationNotAllowed(_("You entered this deposit; another member of Finance must reverse it."))
    step = "refund" if to == REFUNDED else "chargeback"
    locked = lock_wallets([txn.wallet])
    wallet = locked[txn.wallet_id]
    net = txn.amount - txn.fee
    taken = min(net, max(wallet.balance, Decimal(0)))
    shortfall = net - taken
    legs = [(system_account("psp_clearing", txn.currency_id), txn.amount)]
    if taken:
        legs.append((wallet, -taken))
    if txn.fee:
        legs.append((system_account("fee_income", txn.currency_id), -txn.fee))
    if shortfall:
        legs.append((system_account("reversal_losses", txn.currency_id), -shortfall))
    post_entry(
        idempotency_key=f"deposit:{txn.pk}:{step}",
        postings=legs,
        kind=txn.type,
        description=f"Deposit #{txn.pk} {'refunded' if to == REFUNDED else 'charged back'}",
        actor=user_or_none(actor),
        transaction_obj=txn,
        locked=locked,
    )
    txn.status = to
    txn.rejection_reason = (reason or "")[:255]
    fields = stamp(txn, "refunded", actor)
    txn.save(update_fields=["status", "rejection_reason", *fields, "updated_at"])
    event = "deposit.refunded" if to == REFUNDED else "deposit.charged_back"
    record_activity(
        actor=actor, action=event, target=txn, data={"reason": reason, "from_wallet": taken, "shortfall": shortfall}
    )
    emit_transaction(event, txn, reason=reason, shortfall=str(quantize(shortfall, txn.currency)))
    return txn
