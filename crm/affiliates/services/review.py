"""The ledger review: approval after the hold period, staff approval, rejection and correction."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crm.affiliates.exceptions import LedgerLocked
from crm.affiliates.models import AttributionFlag, CommissionLedger
from crm.core.events import emit
from crm.core.money import round_money, to_decimal
from crm.core.services import record_activity

Status = CommissionLedger.Status


def _open_flag():
    return Exists(
        AttributionFlag.objects.filter(customer_id=OuterRef("referral_id"), status=AttributionFlag.Status.OPEN)
    )


@transaction.atomic
def approve_due_commissions(*, now=None) -> int:
    """Approve, in one statement, every pending record whose hold is over and whose referral is not flagged."""
    now = now or timezone.now()
    due = CommissionLedger.objects.filter(status=Status.PENDING, hold_until__lte=now).exclude(_open_flag())
    count = CommissionLedger.objects.filter(pk__in=due.values("pk")).update(
        status=Status.APPROVED, approved_at=now, updated_at=now
    )
    if count:
        record_activity(actor=None, action="affiliates.commissions_approved", data={"count": count, "auto": True})
        emit("affiliates.commissions_approved", count=count)
    return count


def _locked(ids: Iterable[int]):
    return CommissionLedger.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")


@transaction.atomic
def approve_commissions(ids: Iterable[int], *, actor) -> int:
    """Staff approve pending records whose hold is over (records still held or flagged are left as they are)."""
    now = timezone.now()
    records = [r for r in _locked(ids) if r.status == Status.PENDING and r.hold_until <= now]
    flagged = set(
        AttributionFlag.objects.filter(
            customer_id__in={r.referral_id for r in records}, status=AttributionFlag.Status.OPEN
        ).values_list("customer_id", flat=True)
    )
    pks = [r.pk for r in records if r.referral_id not in flagged]
    CommissionLedger.objects.filter(pk__in=pks).update(
        status=Status.APPROVED, approved_at=now, admin=actor, updated_at=now
    )
    if pks:
        record_activity(actor=actor, action="affiliates.commissions_approved", data={"ids": pks})
        emit("affiliates.commissions_approved", count=len(pks))
    return len(pks)


@transaction.atomic
def reject_commissions(ids: Iterable[int], *, reason: str, actor) -> int:
    """Staff reject pending or approved records not yet in a payout; paid records never change."""
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the commission is rejected."]})
    now = timezone.now()
    pks = [r.pk for r in _locked(ids) if r.status in (Status.PENDING, Status.APPROVED) and r.payout_request_id is None]
    CommissionLedger.objects.filter(pk__in=pks).update(
        status=Status.REJECTED, rejected_at=now, reject_reason=reason.strip()[:255], admin=actor, updated_at=now
    )
    if pks:
        record_activity(actor=actor, action="affiliates.commissions_rejected", data={"ids": pks, "reason": reason})
    return len(pks)


@transaction.atomic
def correct_commission(record: CommissionLedger, *, amount: Decimal, comment: str, actor) -> CommissionLedger:
    """Set a corrected amount with a comment (000 "Update a commission ledger"); paid or taken records are locked."""
    record = _locked([record.pk]).select_related("currency").get()
    if record.status in (Status.PAIDOUT, Status.REJECTED) or record.payout_request_id is not None:
        raise LedgerLocked("Paid, rejected or requested commissions do not change.")
    if not (comment or "").strip():
        raise ValidationError({"adminComments": ["Say why the amount is corrected."]})
    amount = round_money(to_decimal(amount), record.currency_id)
    if (record.commission_amount >= 0) != (amount >= 0) and amount != 0:
        raise ValidationError({"correctedCommissionAmount": ["A correction keeps the sign of the commission."]})
    old = record.corrected_commission_amount
    record.corrected_commission_amount = amount
    record.admin_comments = comment.strip()
    record.admin = actor
    record.save(update_fields=["corrected_commission_amount", "admin_comments", "admin", "updated_at"])
    record_activity(
        actor=actor,
        action="affiliates.commission_corrected",
        target=record,
        changes={"correctedCommissionAmount": [old, amount]},
        data={"comment": record.admin_comments},
    )
    emit("affiliates.commission_corrected", ledger_id=record.pk, amount=str(amount))
    return record
