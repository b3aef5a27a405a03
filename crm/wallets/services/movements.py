"""Movements staff enter by hand (deposits, bonuses, corrections, fees, payouts) and demo top-ups.

Withdrawals staff enter for a client go through `request_withdrawal` (hold first), like the client's own.

Above the second-approval amount a movement waits, pending, for another member of Finance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.money import to_decimal
from crm.core.services import get_setting, record_activity
from crm.wallets.exceptions import InvalidTransition, OperationNotAllowed
from crm.wallets.models import Bucket, Transaction, Wallet
from crm.wallets.services.common import (
    check_four_eyes,
    emit_transaction,
    lock_transaction,
    replayed,
    stamp,
)
from crm.wallets.services.deposits import confirm_deposit, credit_deposit
from crm.wallets.services.gates import lock_customer, needs_second_approval
from crm.wallets.services.ledger import lock_wallets, post_entry, system_account
from crm.wallets.services.rates import check_precision

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

T = Transaction.Type
# Type -> (sign on the client wallet, system account on the other side)
MOVEMENTS: dict[str, tuple[int, str]] = {
    T.DEPOSIT: (1, "psp_clearing"),
    T.BONUS: (1, "bonus_expense"),
    T.DEPOSIT_BONUS: (1, "bonus_expense"),
    T.CORRECTION: (1, "adjustments"),
    T.FEE: (-1, "fee_income"),
    T.COMMISSION_PAYOUT: (1, "commissions_payable"),
    T.AFFILIATE_TRANSFER: (1, "commissions_payable"),
    T.COINS_EXCHANGE: (1, "loyalty"),
}
CREDIT_TYPES = {T.BONUS, T.DEPOSIT_BONUS, T.CORRECTION}
DEFAULT_DEMO_MAX_BALANCE = Decimal("1000000")


@transaction.atomic
def create_movement(
    wallet: Wallet,
    *,
    kind: str,
    amount: Decimal,
    actor: Actor,
    add_to_credit: bool = False,
    is_increase: bool = True,
    comment: str = "",
    method: str = "",
    request_key: str = "",
) -> Transaction:
    """Enter a movement by hand. Small ones complete at once; above the threshold another approver is needed."""
    if kind not in MOVEMENTS:
        raise ValidationError({"type": [f"{kind} cannot be entered by hand."]})
    if add_to_credit and kind not in CREDIT_TYPES:
        raise ValidationError({"add_to_credit": [_("Only bonuses and corrections move the credit line.")]})
    amount = to_decimal(amount)
    if wallet.customer is not None:
        # Two requests with one key at the same instant: the second waits here, then finds the first.
        lock_customer(wallet.customer)
    wallet = lock_wallets([wallet])[wallet.pk]
    earlier = replayed(wallet.customer_id, request_key, kind=kind, amount=amount)
    if earlier is not None:
        return earlier
    if wallet.is_system:
        raise OperationNotAllowed(_("System accounts move only as the other side of a client movement."))
    check_precision(amount, wallet.currency)
    txn = Transaction.objects.create(
        type=kind,
        status=Transaction.Status.PENDING,
        customer_id=wallet.customer_id,
        wallet=wallet,
        currency=wallet.currency,
        amount=amount,
        add_to_credit=add_to_credit,
        is_increase=is_increase if kind == T.CORRECTION else MOVEMENTS[kind][0] > 0,
        comment=comment,
        method=method or "manual",
        created_by=user_or_none(actor),
        request_key=request_key,
    )
    record_activity(actor=actor, action="transaction.created", target=txn, data={"type": kind, "amount": amount})
    emit_transaction("transaction.created", txn)
    if not needs_second_approval(amount, wallet.currency_id):
        _complete(txn, actor=actor)
    return txn


def _complete(txn: Transaction, *, actor: Actor) -> None:
    if txn.type == T.DEPOSIT:
        credit_deposit(txn, actor=actor)
        return
    sign = 1 if txn.is_increase else -1
    bucket = Bucket.CREDIT if txn.add_to_credit else Bucket.BALANCE
    counter = system_account(MOVEMENTS[txn.type][1], txn.currency_id)
    post_entry(
        idempotency_key=f"movement:{txn.pk}",
        postings=[(txn.wallet, sign * txn.amount, bucket), (counter, -sign * txn.amount)],
        kind=txn.type,
        description=txn.comment[:255] or f"{txn.get_type_display()} #{txn.pk}",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    txn.status = Transaction.Status.COMPLETED
    fields = stamp(txn, "completed", actor)
    txn.save(update_fields=["status", *fields, "approved_by", "approved_at", "updated_at"])
    record_activity(actor=actor, action="transaction.completed", target=txn, data={"amount": txn.amount})
    emit_transaction("transaction.completed", txn)


@transaction.atomic
def approve_movement(txn: Transaction, *, actor: Actor, comment: str = "") -> Transaction:
    """Approve a pending movement someone else entered (or confirm a client's deposit by hand)."""
    txn = lock_transaction(txn)
    if txn.type == T.DEPOSIT and txn.created_by_id is None:
        return confirm_deposit(txn, provider_reference=txn.provider_reference or "manual", actor=actor)
    user = user_or_none(actor)
    if txn.status == Transaction.Status.COMPLETED and user is not None and user.pk in txn.approvers:
        return txn
    if txn.status != Transaction.Status.PENDING or txn.type not in MOVEMENTS:
        raise InvalidTransition(txn, to=Transaction.Status.COMPLETED)
    check_four_eyes(txn, actor)
    if comment:
        txn.comment = f"{txn.comment}\n{comment}".strip()
        txn.save(update_fields=["comment", "updated_at"])
    stamp(txn, "approved", actor)
    _complete(txn, actor=actor)
    return txn


@transaction.atomic
def reject_movement(txn: Transaction, *, actor: Actor, reason: str) -> Transaction:
    """Refuse a pending movement entered by hand; nothing was posted, so nothing moves."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.REJECTED:
        return txn
    if txn.status != Transaction.Status.PENDING or txn.type not in MOVEMENTS:
        raise InvalidTransition(txn, to=Transaction.Status.REJECTED)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the movement is rejected.")]})
    txn.status = Transaction.Status.REJECTED if txn.created_by_id else Transaction.Status.FAILED
    txn.rejection_reason = reason[:255]
    fields = stamp(txn, "rejected", actor)
    txn.save(update_fields=["status", "rejection_reason", *fields, "updated_at"])
    record_activity(actor=actor, action="transaction.rejected", target=txn, data={"reason": reason})
    emit_transaction("transaction.rejected", txn, reason=reason)
    return txn


@transaction.atomic
def top_up_demo(wallet: Wallet, *, amount: Decimal, actor: Actor, request_key: str = "") -> Transaction:
    """Add play money to a demo account, up to the `wallets.demo_max_balance` setting."""
    amount = to_decimal(amount)
    wallet = lock_wallets([wallet])[wallet.pk]
    if not wallet.is_demo:
        raise OperationNotAllowed(_("Only demo accounts can be topped up."), code="not_demo")
    earlier = replayed(wallet.customer_id, request_key, kind=T.CORRECTION, amount=amount)
    if earlier is not None:
        return earlier
    check_precision(amount, wallet.currency)
    ceiling = Decimal(str(get_setting("wallets.demo_max_balance", default=DEFAULT_DEMO_MAX_BALANCE)))
    if wallet.balance + amount > ceiling:
        raise ValidationError({"amount": [_("A demo balance stays at or below %(ceiling)s.") % {"ceiling": ceiling}]})
    txn = Transaction.objects.create(
        type=T.CORRECTION,
        status=Transaction.Status.PENDING,
        customer_id=wallet.customer_id,
        wallet=wallet,
        currency=wallet.currency,
        amount=amount,
        method="demo_top_up",
        comment="Demo top-up",
        requested_by=user_or_none(actor),
        request_key=request_key,
    )
    post_entry(
        idempotency_key=f"demo:{txn.pk}",
        postings=[(wallet, amount), (system_account("demo_funding", wallet.currency_id), -amount)],
        kind=T.CORRECTION,
        description="Demo top-up",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    txn.status = Transaction.Status.COMPLETED
    fields = stamp(txn, "completed", actor)
    txn.save(update_fields=["status", *fields, "updated_at"])
    record_activity(actor=actor, action="wallet.demo_top_up", target=txn, data={"amount": amount})
    return txn
