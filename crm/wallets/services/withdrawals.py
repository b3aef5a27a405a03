"""Withdrawals: the request puts the money on hold at once; Finance approves (maybe twice) or rejects;
the payments domain pays an approved withdrawal out through its provider.

States of a withdrawal (`Transaction.status`) and who moves it:

    PENDING --first of two approvals--> PENDING (approved_by set)
    PENDING --last approval, or automatic under the level's limit--> APPROVED   (payments starts the payout)
    PENDING --Finance rejects / client cancels--> REJECTED / CANCELLED
    APPROVED --provider: payout.completed, or Finance: paid by hand--> COMPLETED
    APPROVED --provider: payout.failed, or Finance: payout failed--> FAILED
    COMPLETED --provider: payout.failed (returned after it was paid)--> FAILED
    COMPLETED, or APPROVED with no provider --Finance refunds--> REFUNDED

A provider may make only the COMPLETED and FAILED moves (through its webhooks, see crm.payments).
An approved withdrawal with a provider is the payout's to finish: Finance cannot refund it while the
payout is under way (the provider could pay it as well), only fail it through the payout.

Money moves: request  balance -> hold;  approve  hold -> PSP clearing (+ fee income, the rest of a
lowered amount back to balance);  reject / cancel  hold -> balance;  fail / refund  PSP clearing (and
the fee) -> balance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.money import format_money, to_decimal
from crm.core.services import record_activity
from crm.customers.models import Customer
from crm.wallets.exceptions import FourEyesRequired, InvalidTransition, PayoutUnderWay
from crm.wallets.models import Bucket, Transaction, Wallet
from crm.wallets.services.common import (
    check_four_eyes,
    emit_transaction,
    lock_transaction,
    replayed,
    stamp,
)
from crm.wallets.services.gates import WITHDRAW, check_client_operation, lock_customer, needs_second_approval
from crm.wallets.services.ledger import lock_wallets, post_entry, system_account
from crm.wallets.services.rates import check_precision

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

PENDING = Transaction.Status.PENDING
APPROVED = Transaction.Status.APPROVED
WITHDRAWAL = Transaction.Type.WITHDRAWAL


def held_amount(txn: Transaction) -> Decimal:
    """What the request put on hold (an approver may have lowered `amount` since)."""
    return txn.original_amount if txn.original_amount is not None else txn.amount


@transaction.atomic
def request_withdrawal(
    customer: Customer,
    *,
    wallet: Wallet,
    amount: Decimal,
    actor: Actor,
    method: str = "",
    provider: str = "",
    wallet_address: str = "",
    destination_tag: str = "",
    fee: Decimal = Decimal(0),
    comment: str = "",
    request_key: str = "",
) -> Transaction:
    """Ask to withdraw: the amount moves to hold in the same transaction, so it cannot be spent twice.

    Amounts up to the level's `auto_withdrawal` limit are approved at once when one approval suffices.
    """
    amount = to_decimal(amount)
    client = lock_customer(customer)
    customer = client.customer
    earlier = replayed(customer.pk, request_key, kind=WITHDRAWAL, amount=amount)
    if earlier is not None:
        return earlier
    locked = lock_wallets([wallet])
    wallet = locked[wallet.pk]
    check_precision(amount, wallet.currency)
    if fee < 0 or fee >= amount:
        raise ValidationError({"amount": [_("The amount does not cover the fee.")]})
    limits = check_client_operation(client, operation=WITHDRAW, wallet=wallet, amount=amount)
    is_staff = bool(getattr(actor, "is_staff", False))
    txn = Transaction.objects.create(
        type=WITHDRAWAL,
        status=PENDING,
        customer=customer,
        wallet=wallet,
        currency=wallet.currency,
        amount=amount,
        fee=fee,
        method=method,
        provider=provider,
        wallet_address=wallet_address,
        destination_tag=destination_tag,
        comment=comment,
        requested_by=None if is_staff else user_or_none(actor),
        created_by=user_or_none(actor) if is_staff else None,
        approvals_required=2 if needs_second_approval(amount, wallet.currency_id) else 1,
        request_key=request_key,
    )
    post_entry(
        idempotency_key=f"withdrawal:{txn.pk}:hold",
        postings=[(wallet, -amount, Bucket.BALANCE), (wallet, amount, Bucket.HOLD)],
        kind=WITHDRAWAL,
        description=f"Withdrawal #{txn.pk} requested",
        actor=user_or_none(actor),
        transaction_obj=txn,
        locked=locked,
    )
    record_activity(actor=actor, action="withdrawal.requested", target=txn, data={"amount": amount})
    emit_transaction("withdrawal.requested", txn)
    auto = limits.auto_withdrawal if limits is not None else None
    if auto is not None and amount <= auto and txn.approvals_required == 1:
        _settle(txn, actor=None, note="auto")
    return txn


@transaction.atomic
def approve_withdrawal(
    txn: Transaction, *, actor: Actor, amount: Decimal | None = None, comment: str = ""
) -> Transaction:
    """Approve (first or second approval). Nobody approves what they requested, created or approved already."""
    txn = lock_transaction(txn)
    if txn.type != WITHDRAWAL:
        raise InvalidTransition(txn, to=APPROVED)
    if txn.status == APPROVED and (user := user_or_none(actor)) is not None and user.pk in txn.approvers:
        return txn
    if txn.status != PENDING:
        raise InvalidTransition(txn, to=APPROVED)
    check_four_eyes(txn, actor)
    if comment:
        txn.comment = f"{txn.comment}\n{comment}".strip() if txn.comment else comment
    if amount is not None and to_decimal(amount) != txn.amount:
        if txn.approved_by_id:
            raise FourEyesRequired(_("The amount can change only at the first approval."), code="amount_locked")
        amount = check_precision(to_decimal(amount), txn.currency)
        if amount > held_amount(txn) or amount <= txn.fee:
            on_hold = format_money(held_amount(txn), txn.currency)
            raise ValidationError(
                {"amount": [_("Between the fee and the %(on_hold)s on hold.") % {"on_hold": on_hold}]}
            )
        txn.original_amount, txn.amount = held_amount(txn), amount
    if txn.approved_by_id is None:
        fields = stamp(txn, "approved", actor)
        if txn.approvals_required > 1:
            txn.save(update_fields=[*fields, "amount", "original_amount", "comment", "updated_at"])
            record_activity(actor=actor, action="withdrawal.first_approved", target=txn)
            emit_transaction("withdrawal.first_approved", txn)
            return txn
    else:
        stamp(txn, "second_approved", actor)
    _settle(txn, actor=actor)
    return txn


def _settle(txn: Transaction, *, actor: Actor, note: str = "") -> None:
    """The money leaves: hold to PSP clearing and fee income; a lowered amount's rest goes back to balance."""
    held = held_amount(txn)
    wallet = txn.wallet
    legs = [(wallet, -held, Bucket.HOLD), (system_account("psp_clearing", txn.currency_id), txn.amount - txn.fee)]
    if txn.fee:
        legs.append((system_account("fee_income", txn.currency_id), txn.fee))
    if held != txn.amount:
        legs.append((wallet, held - txn.amount, Bucket.BALANCE))
    post_entry(
        idempotency_key=f"withdrawal:{txn.pk}:settle",
        postings=legs,
        kind=WITHDRAWAL,
        description=f"Withdrawal #{txn.pk} approved",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    txn.status = APPROVED
    if txn.approved_at is None:
        stamp(txn, "approved", actor)
    txn.save()
    record_activity(actor=actor, action="withdrawal.approved", target=txn, data={"amount": txn.amount, "by": note})
    emit_transaction("withdrawal.approved", txn, automatic=note == "auto")


def _release(txn: Transaction, *, actor: Actor, status: str, reason: str) -> Transaction:
    held = held_amount(txn)
    post_entry(
        idempotency_key=f"withdrawal:{txn.pk}:release",
        postings=[(txn.wallet, -held, Bucket.HOLD), (txn.wallet, held, Bucket.BALANCE)],
        kind=WITHDRAWAL,
        description=f"Withdrawal #{txn.pk} {status}",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    txn.status = status
    txn.rejection_reason = reason[:255]
    step = "rejected" if status == Transaction.Status.REJECTED else "cancelled"
    fields = stamp(txn, step, actor)
    txn.save(update_fields=["status", "rejection_reason", *fields, "updated_at"])
    record_activity(actor=actor, action=f"withdrawal.{step}", target=txn, data={"reason": reason})
    emit_transaction(f"withdrawal.{step}", txn, reason=reason)
    return txn


@transaction.atomic
def reject_withdrawal(txn: Transaction, *, actor: Actor, reason: str) -> Transaction:
    """Refuse a pending withdrawal: the hold goes back to the balance. Rejecting again changes nothing."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.REJECTED:
        return txn
    if txn.status != PENDING or txn.type != WITHDRAWAL:
        raise InvalidTransition(txn, to=Transaction.Status.REJECTED)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the withdrawal is rejected.")]})
    return _release(txn, actor=actor, status=Transaction.Status.REJECTED, reason=reason)


@transaction.atomic
def cancel_withdrawal(txn: Transaction, *, actor: Actor) -> Transaction:
    """The client takes back a withdrawal nobody approved yet; the hold goes back to the balance."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.CANCELLED:
        return txn
    if txn.status != PENDING or txn.type != WITHDRAWAL or txn.approved_by_id:
        raise InvalidTransition(txn, to=Transaction.Status.CANCELLED)
    return _release(txn, actor=actor, status=Transaction.Status.CANCELLED, reason="")


@transaction.atomic
def refund_withdrawal(txn: Transaction, *, actor: Actor, comment: str = "") -> Transaction:
    """Give an approved withdrawal's money back to the wallet (payout bounced). Refunding again changes nothing."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.REFUNDED:
        return txn
    if txn.type != WITHDRAWAL or txn.status not in (APPROVED, Transaction.Status.COMPLETED):
        raise InvalidTransition(txn, to=Transaction.Status.REFUNDED)
    if txn.status == APPROVED and txn.provider:
        raise PayoutUnderWay(
            _("The provider is paying this withdrawal out; wait for the payout, or mark the payout failed.")
        )
    if actor is not None and actor.pk in (txn.requested_by_id, txn.created_by_id):
        raise FourEyesRequired(
            _("You requested or created this withdrawal; another member of Finance must refund it.")
        )
    _give_back(txn, step="refund", actor=actor)
    txn.status = Transaction.Status.REFUNDED
    if comment:
        txn.comment = f"{txn.comment}\n{comment}".strip()
    fields = stamp(txn, "refunded", actor)
    txn.save(update_fields=["status", "comment", *fields, "updated_at"])
    record_activity(actor=actor, action="withdrawal.refunded", target=txn, data={"comment": comment})
    emit_transaction("withdrawal.refunded", txn)
    return txn


def _give_back(txn: Transaction, *, step: str, actor: Actor) -> None:
    """The money that left (net amount and fee) comes back to the wallet's balance."""
    legs = [(txn.wallet, txn.amount), (system_account("psp_clearing", txn.currency_id), -(txn.amount - txn.fee))]
    if txn.fee:
        legs.append((system_account("fee_income", txn.currency_id), -txn.fee))
    post_entry(
        idempotency_key=f"withdrawal:{txn.pk}:{step}",
        postings=legs,
        kind=WITHDRAWAL,
        description=f"Withdrawal #{txn.pk} {'refunded' if step == 'refund' else 'payout failed'}",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )


@transaction.atomic
def fail_withdrawal(txn: Transaction, *, reason: str, actor: Actor = None) -> Transaction:
    """The payout failed (or was returned after it was paid): the money and the fee go back to the wallet.

    Failing again changes nothing.
    """
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.FAILED:
        return txn
    if txn.type != WITHDRAWAL or txn.status not in (APPROVED, Transaction.Status.COMPLETED):
        raise InvalidTransition(txn, to=Transaction.Status.FAILED)
    _give_back(txn, step="failed", actor=actor)
    txn.status = Transaction.Status.FAILED
    txn.rejection_reason = (reason or "")[:255]
    fields = stamp(txn, "failed", actor)
    txn.save(update_fields=["status", "rejection_reason", *fields, "updated_at"])
    record_activity(actor=actor, action="withdrawal.failed", target=txn, data={"reason": reason})
    emit_transaction("withdrawal.failed", txn, reason=reason)
    return txn


@transaction.atomic
def complete_withdrawal(txn: Transaction, *, provider_reference: str = "", actor: Actor = None) -> Transaction:
    """The provider (or Finance, by hand) paid the approved withdrawal out; completing again changes nothing."""
    txn = lock_transaction(txn)
    if txn.status == Transaction.Status.COMPLETED:
        return txn
    if txn.status != APPROVED or txn.type != WITHDRAWAL:
        raise InvalidTransition(txn, to=Transaction.Status.COMPLETED)
    txn.status = Transaction.Status.COMPLETED
    txn.provider_reference = provider_reference or txn.provider_reference
    fields = stamp(txn, "completed", actor)
    txn.save(update_fields=["status", "provider_reference", *fields, "updated_at"])
    record_activity(actor=actor, action="withdrawal.completed", target=txn)
    emit_transaction("withdrawal.completed", txn)
    return txn
