"""Payout wallets and payout requests: the approved commissions move to the affiliate's wallet on the ledger.

A request takes every approved record not yet paid (clawbacks included, so a refund after an earlier
payout is taken from this one); its amount is their sum, which must reach the minimum payout amount
(`affiliates.minimum_payout` in the settings store). Approval posts one balanced entry through
`crm.wallets.services.post_entry`, from the commissions-payable system account to the affiliate's wallet,
with the request as idempotency key, and marks the records PAIDOUT. Rejection releases the records.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.affiliates.exceptions import (
    InvalidPayoutWallet,
    InvalidStatus,
    PayoutBelowMinimum,
    PayoutPending,
)
from crm.affiliates.models import Affiliate, CommissionLedger, PayoutRequest, PayoutWallet
from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.core.money import format_money
from crm.core.services import get_setting, record_activity
from crm.wallets import services as wallets
from crm.wallets.models import Transaction, Wallet

Status = PayoutRequest.Status


def minimum_payout() -> Decimal:
    return Decimal(str(get_setting("affiliates.minimum_payout", "0")))


def payable_amount(affiliate: Affiliate) -> Decimal:
    """The sum of the approved, unpaid records of an affiliate (corrections applied, clawbacks subtracted)."""
    return (
        CommissionLedger.objects.filter(introducer=affiliate)
        .payable()
        .aggregate(total=Coalesce(Sum(Coalesce("corrected_commission_amount", "commission_amount")), Decimal(0)))[
            "total"
        ]
    )


def has_pending_request(affiliate: Affiliate) -> bool:
    """000 "Check if a user has a pending payout request"."""
    return PayoutRequest.objects.filter(introducer=affiliate, status=Status.PENDING).exists()


@transaction.atomic
def add_payout_wallet(affiliate: Affiliate, *, wallet: Wallet, actor, is_default: bool = False) -> PayoutWallet:
    """Name one of the affiliate's own wallets, in its commission currency, as a payout wallet."""
    if wallet.customer_id != affiliate.customer_id or wallet.is_demo or wallet.is_system:
        raise InvalidPayoutWallet(
            _("Payouts go to the affiliate's own live wallet."), fields={"wallet": [_("Not yours.")]}
        )
    if wallet.currency_id != affiliate.currency_id:
        raise InvalidPayoutWallet(
            _("The payout wallet must hold %(currency_id)s.") % {"currency_id": affiliate.currency_id},
            fields={"wallet": [_("Wrong currency.")]},
        )
    payout_wallet, _unused = PayoutWallet.objects.get_or_create(affiliate=affiliate, wallet=wallet)
    if is_default or not PayoutWallet.objects.filter(affiliate=affiliate, is_default=True).exists():
        PayoutWallet.objects.filter(affiliate=affiliate, is_default=True).exclude(pk=payout_wallet.pk).update(
            is_default=False
        )
        PayoutWallet.objects.filter(pk=payout_wallet.pk).update(is_default=True)
        payout_wallet.is_default = True
    record_activity(
        actor=actor, action="affiliate.payout_wallet_added", target=affiliate, data={"wallet_id": wallet.pk}
    )
    return payout_wallet


@transaction.atomic
def create_payout_request(
    affiliate: Affiliate, *, payout_wallet: PayoutWallet, actor, is_automatic: bool = False
) -> PayoutRequest:
    """Ask to be paid every approved, unpaid commission (000 "Create a payout request")."""
    affiliate = Affiliate.objects.select_for_update().get(pk=affiliate.pk)
    if affiliate.status != Affiliate.Status.ACTIVE:
        raise InvalidStatus(_("Only active affiliates are paid out."))
    if payout_wallet.affiliate_id != affiliate.pk:
        raise InvalidPayoutWallet(_("Unknown payout wallet."), fields={"payoutWalletId": [_("Not one of yours.")]})
    if has_pending_request(affiliate):
        raise PayoutPending(_("A payout request is already pending."))
    records = CommissionLedger.objects.select_for_update().filter(introducer=affiliate).payable().order_by("pk")
    ids = list(records.values_list("pk", flat=True))
    amount = payable_amount(affiliate)
    minimum = minimum_payout()
    if amount <= 0 or amount < minimum:
        raise PayoutBelowMinimum(
            _("The approved commissions (%(amount)s) do not reach the minimum payout (%(minimum)s).")
            % {
                "amount": format_money(amount, affiliate.currency),
                "minimum": format_money(minimum, affiliate.currency),
            },
            fields={"payoutWalletId": [_("Nothing to pay out yet.")]},
        )
    request = PayoutRequest.objects.create(
        introducer=affiliate,
        payout_wallet=payout_wallet,
        amount=amount,
        currency_id=affiliate.currency_id,
        is_automatic=is_automatic,
        requested_at=timezone.now(),
    )
    CommissionLedger.objects.filter(pk__in=ids).update(payout_request=request, updated_at=timezone.now())
    record_activity(actor=actor, action="affiliate.payout_requested", target=request, data={"amount": amount})
    emit("affiliate.payout_requested", payout_request_id=request.pk, affiliate_id=affiliate.pk, amount=str(amount))
    return request


def _locked(request: PayoutRequest) -> PayoutRequest:
    return PayoutRequest.objects.select_for_update().select_related("payout_wallet__wallet").get(pk=request.pk)


@transaction.atomic
def approve_payout_request(request: PayoutRequest, *, actor) -> PayoutRequest:
    """Pay the request: commissions payable -> the affiliate's wallet on the ledger. Approving twice pays once."""
    request = _locked(request)
    if request.status == Status.APPROVED:
        return request
    if request.status != Status.PENDING:
        raise InvalidStatus(_("Only a pending payout request can be approved."))
    wallet = request.payout_wallet.wallet
    affiliate = Affiliate.objects.get(pk=request.introducer_id)
    now = timezone.now()
    txn = Transaction.objects.create(
        type=Transaction.Type.COMMISSION_PAYOUT,
        status=Transaction.Status.COMPLETED,
        customer_id=affiliate.customer_id,
        wallet=wallet,
        currency_id=request.currency_id,
        amount=request.amount,
        method="commission",
        comment=f"Commission payout #{request.pk}",
        approved_by=user_or_none(actor),
        approved_at=now,
        completed_at=now,
    )
    wallets.post_entry(
        idempotency_key=f"commission_payout:{request.pk}",
        postings=[
            (wallet, request.amount),
            (wallets.system_account("commissions_payable", request.currency_id), -request.amount),
        ],
        kind=Transaction.Type.COMMISSION_PAYOUT,
        description=f"Commission payout #{request.pk}",
        actor=user_or_none(actor),
        transaction_obj=txn,
    )
    request.status, request.approved_at, request.transaction = Status.APPROVED, now, txn
    request.admin = user_or_none(actor)
    request.save(update_fields=["status", "approved_at", "transaction", "admin", "updated_at"])
    CommissionLedger.objects.filter(payout_request=request).update(
        status=CommissionLedger.Status.PAIDOUT, payout_at=now, updated_at=now
    )
    record_activity(actor=actor, action="affiliate.payout_approved", target=request, data={"amount": request.amount})
    emit("affiliate.payout_approved", payout_request_id=request.pk, transaction_id=txn.pk, amount=str(request.amount))
    return request


@transaction.atomic
def reject_payout_request(request: PayoutRequest, *, reason: str | None, actor) -> PayoutRequest:
    """Refuse the request (000 "Reject a payout request"); its commissions wait for the next request."""
    request = _locked(request)
    if request.status == Status.REJECTED:
        return request
    if request.status != Status.PENDING:
        raise InvalidStatus(_("Only a pending payout request can be rejected."))
    now = timezone.now()
    request.status, request.rejected_at, request.reject_reason = Status.REJECTED, now, (reason or "").strip()[:255]
    request.admin = user_or_none(actor)
    request.save(update_fields=["status", "rejected_at", "reject_reason", "admin", "updated_at"])
    CommissionLedger.objects.filter(payout_request=request).update(payout_request=None, updated_at=now)
    record_activity(actor=actor, action="affiliate.payout_rejected", target=request, data={"reason": reason})
    emit("affiliate.payout_rejected", payout_request_id=request.pk, reason=request.reject_reason)
    return request


def run_monthly_payouts() -> list[int]:
    """Request and approve the payout of every active affiliate on automatic payout with a default wallet.

    Affiliates below the minimum, or with a request already pending, are left for next month.
    """
    paid = []
    candidates = PayoutWallet.objects.filter(
        is_default=True, affiliate__auto_payout=True, affiliate__status=Affiliate.Status.ACTIVE
    ).select_related("affiliate")
    for payout_wallet in candidates.order_by("affiliate_id"):
        try:
            with transaction.atomic():
                request = create_payout_request(
                    payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None, is_automatic=True
                )
                approve_payout_request(request, actor=None)
        except (PayoutBelowMinimum, PayoutPending, InvalidStatus):
            continue
        paid.append(request.pk)
    return paid
