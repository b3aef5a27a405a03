"""The ledger review: approval after the hold period, staff approval, rejection and correction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.affiliates.exceptions import CommissionNotApproved, LedgerLocked
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


def open_flags(referral_ids: Iterable[int]) -> dict[int, list[AttributionFlag]]:
    """The open review flags of referrals, by referral (client) id."""
    flags: dict[int, list[AttributionFlag]] = {}
    for flag in AttributionFlag.objects.filter(
        customer_id__in=set(referral_ids), status=AttributionFlag.Status.OPEN
    ).order_by("pk"):
        flags.setdefault(flag.customer_id, []).append(flag)
    return flags


@dataclass
class ApprovalOutcome:
    """What a staff approval did: the records approved, and why each other one was not."""

    approved: list[int] = field(default_factory=list)
    flagged: dict[int, list[str]] = field(default_factory=dict)  # record -> the referral's open flag reasons
    on_hold: dict[int, dt.datetime] = field(default_factory=dict)  # record -> end of its hold
    not_pending: dict[int, str] = field(default_factory=dict)  # record -> its status

    def refusal(self, pk: int) -> CommissionNotApproved | None:
        """Why record `pk` was not approved, as the error the API and the admin show (None: it was approved)."""
        if pk in self.flagged:
            reasons = ", ".join(self.flagged[pk])
            return CommissionNotApproved(
                _("The referral is flagged for review (%(reasons)s): clear the flag, or confirm the fraud, first.")
                % {"reasons": reasons},
                code="referral_flagged",
                fields={"flags": self.flagged[pk]},
            )
        if pk in self.on_hold:
            return CommissionNotApproved(
                _("The commission is on hold until %(date)s.") % {"date": self.on_hold[pk].isoformat()},
                code="commission_on_hold",
                fields={"hold_until": [self.on_hold[pk].isoformat()]},
            )
        if pk in self.not_pending:
            return CommissionNotApproved(
                _("The commission is %(status)s; only pending ones are approved.") % {"status": self.not_pending[pk]},
                code="invalid_transition",
            )
        return None


@transaction.atomic
def approve_commissions(ids: Iterable[int], *, actor) -> ApprovalOutcome:
    """Staff approve pending records whose hold is over and whose referral is not flagged; the outcome says
    why each other record was left as it was."""
    now = timezone.now()
    outcome = ApprovalOutcome()
    records = list(_locked(ids))
    flags = open_flags(r.referral_id for r in records if r.referral_id)
    for record in records:
        if record.status != Status.PENDING:
            outcome.not_pending[record.pk] = record.status
        elif record.referral_id in flags:
            outcome.flagged[record.pk] = [flag.get_reason_display() for flag in flags[record.referral_id]]
        elif record.hold_until > now:
            outcome.on_hold[record.pk] = record.hold_until
        else:
            outcome.approved.append(record.pk)
    CommissionLedger.objects.filter(pk__in=outcome.approved).update(
        status=Status.APPROVED, approved_at=now, admin=actor, updated_at=now
    )
    if outcome.approved:
        record_activity(actor=actor, action="affiliates.commissions_approved", data={"ids": outcome.approved})
        emit("affiliates.commissions_approved", count=len(outcome.approved))
    return outcome


def approve_commission(record: CommissionLedger, *, actor) -> CommissionLedger:
    """Approve one record, or refuse saying why (referral flagged, still on hold, not pending); approving an
    approved record again changes nothing."""
    if record.status == Status.APPROVED:
        return record
    refusal = approve_commissions([record.pk], actor=actor).refusal(record.pk)
    if refusal is not None:
        raise refusal
    return CommissionLedger.objects.get(pk=record.pk)


@transaction.atomic
def reject_commissions(ids: Iterable[int], *, reason: str, actor) -> int:
    """Staff reject pending or approved records not yet in a payout; paid records never change."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the commission is rejected.")]})
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
        raise LedgerLocked(_("Paid, rejected or requested commissions do not change."))
    if not (comment or "").strip():
        raise ValidationError({"adminComments": [_("Say why the amount is corrected.")]})
    amount = round_money(to_decimal(amount), record.currency_id)
    if (record.commission_amount >= 0) != (amount >= 0) and amount != 0:
        raise ValidationError({"correctedCommissionAmount": [_("A correction keeps the sign of the commission.")]})
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
