"""Hold period and approval, corrections, clawbacks, payout requests through the ledger, monthly payout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from crm.affiliates import services
from crm.affiliates.exceptions import LedgerLocked, PayoutBelowMinimum, PayoutPending
from crm.affiliates.models import AttributionFlag, CommissionLedger, PayoutRequest, ReferralAction
from crm.core.services import set_setting
from crm.wallets.models import Transaction
from crm.wallets.selectors import wallet_balance
from tests.affiliates.factories import (
    AffiliateFactory,
    CommissionLedgerFactory,
    CommissionLevelFactory,
    CommissionRuleFactory,
    PayoutWalletFactory,
    ReferralActionFactory,
    referral_of,
)

pytestmark = pytest.mark.django_db
Status = CommissionLedger.Status


def test_commissions_are_approved_once_their_hold_is_over():
    due = CommissionLedgerFactory(status=Status.PENDING, hold_until=timezone.now() - dt.timedelta(minutes=1))
    held = CommissionLedgerFactory(status=Status.PENDING, hold_until=timezone.now() + dt.timedelta(days=1))

    assert services.approve_due_commissions() == 1
    assert services.approve_due_commissions() == 0

    due.refresh_from_db()
    held.refresh_from_db()
    assert (due.status, held.status) == (Status.APPROVED, Status.PENDING)
    assert due.approved_at is not None


def test_commissions_of_a_flagged_referral_stay_pending():
    record = CommissionLedgerFactory(status=Status.PENDING)
    AttributionFlag.objects.create(
        customer=record.referral, affiliate=record.introducer, reason=AttributionFlag.Reason.SELF_EMAIL
    )

    assert services.approve_due_commissions() == 0


def test_staff_approve_only_records_past_their_hold(admin_staff):
    due = CommissionLedgerFactory(status=Status.PENDING)
    held = CommissionLedgerFactory(status=Status.PENDING, hold_until=timezone.now() + dt.timedelta(days=3))

    outcome = services.approve_commissions([due.pk, held.pk], actor=admin_staff)

    assert (outcome.approved, list(outcome.on_hold)) == ([due.pk], [held.pk])
    assert set(CommissionLedger.objects.values_list("pk", "status")) == {
        (due.pk, Status.APPROVED),
        (held.pk, Status.PENDING),
    }


def test_staff_correct_an_amount_with_a_comment(admin_staff):
    record = CommissionLedgerFactory(status=Status.PENDING)

    services.correct_commission(record, amount=Decimal("80"), comment="Deposit partly reversed", actor=admin_staff)

    record.refresh_from_db()
    assert (record.corrected_commission_amount, record.admin_comments, record.admin) == (
        Decimal("80.00"),
        "Deposit partly reversed",
        admin_staff,
    )
    assert record.payable_amount == Decimal("80.00")


def test_a_correction_needs_a_comment(admin_staff):
    record = CommissionLedgerFactory(status=Status.PENDING)

    with pytest.raises(ValidationError):
        services.correct_commission(record, amount=Decimal("80"), comment=" ", actor=admin_staff)

    record.refresh_from_db()
    assert record.corrected_commission_amount is None


def test_paid_records_never_change(admin_staff):
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate)
    request = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)
    services.approve_payout_request(request, actor=admin_staff)
    record = CommissionLedger.objects.get()

    with pytest.raises(LedgerLocked):
        services.correct_commission(record, amount=Decimal("1"), comment="no", actor=admin_staff)
    assert services.reject_commissions([record.pk], reason="no", actor=admin_staff) == 0

    record.refresh_from_db()
    assert (record.status, record.corrected_commission_amount) == (Status.PAIDOUT, None)


def test_payout_moves_the_approved_commissions_to_the_affiliates_wallet_through_the_ledger(admin_staff, capsys):
    payout_wallet = PayoutWalletFactory()
    affiliate = payout_wallet.affiliate
    CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("100.00"))
    CommissionLedgerFactory(
        introducer=affiliate, commission_amount=Decimal("50.00"), corrected_commission_amount=Decimal("40.00")
    )
    CommissionLedgerFactory(introducer=affiliate, status=Status.PENDING, commission_amount=Decimal("999.00"))
    assert not services.has_pending_request(affiliate)

    request = services.create_payout_request(affiliate, payout_wallet=payout_wallet, actor=affiliate.customer.user)
    assert services.has_pending_request(affiliate)
    services.approve_payout_request(request, actor=admin_staff)
    services.approve_payout_request(request, actor=admin_staff)

    request.refresh_from_db()
    assert (request.status, request.amount, request.admin) == (
        PayoutRequest.Status.APPROVED,
        Decimal("140.00"),
        admin_staff,
    )
    assert wallet_balance(payout_wallet.wallet) == Decimal("140.00")
    assert request.transaction.type == Transaction.Type.COMMISSION_PAYOUT
    assert sorted(CommissionLedger.objects.values_list("status", flat=True)) == [
        Status.PAIDOUT,
        Status.PAIDOUT,
        Status.PENDING,
    ]
    call_command("verify_ledger")
    assert "sound" in capsys.readouterr().out


def test_one_pending_payout_request_at_a_time():
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate)
    services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)
    CommissionLedgerFactory(introducer=payout_wallet.affiliate)

    with pytest.raises(PayoutPending):
        services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)


def test_payout_below_the_minimum_is_refused():
    set_setting("affiliates.minimum_payout", "150", value_type="decimal")
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("100.00"))

    with pytest.raises(PayoutBelowMinimum):
        services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)

    assert PayoutRequest.objects.count() == 0


def test_rejected_payout_releases_its_commissions_for_the_next_request(admin_staff):
    payout_wallet = PayoutWalletFactory()
    record = CommissionLedgerFactory(introducer=payout_wallet.affiliate)
    request = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)

    services.reject_payout_request(request, reason="Wallet under review", actor=admin_staff)

    request.refresh_from_db()
    record.refresh_from_db()
    assert (request.status, request.reject_reason, request.rejected_at is not None) == (
        PayoutRequest.Status.REJECTED,
        "Wallet under review",
        True,
    )
    assert (record.status, record.payout_request_id) == (Status.APPROVED, None)
    assert wallet_balance(payout_wallet.wallet) == Decimal(0)


def _plan_with_cpa(affiliate, amount="100"):
    level = CommissionLevelFactory(commission_model=affiliate.commission_model, level=1)
    CommissionRuleFactory(level=level, amount=Decimal(amount))


def test_refund_before_payout_rejects_the_commission():
    payout_wallet = PayoutWalletFactory(
        affiliate=AffiliateFactory(commission_model=CommissionLevelFactory(level=9).commission_model)
    )
    affiliate = payout_wallet.affiliate
    _plan_with_cpa(affiliate)
    client = referral_of(affiliate)
    deposit = ReferralActionFactory(customer=client, source_id=501)
    services.run_commissions()
    ReferralActionFactory(
        customer=client, action_type=ReferralAction.Type.REFUND, source_id=501, reverses_source_id=501
    )

    result = services.run_commissions()

    assert (result.rejected, result.clawbacks) == (1, 0)
    assert CommissionLedger.objects.get(action=deposit).status == Status.REJECTED


def test_chargeback_after_payout_becomes_a_negative_entry_taken_from_the_next_payout(admin_staff):
    affiliate = AffiliateFactory(commission_model=CommissionLevelFactory(level=9).commission_model)
    _plan_with_cpa(affiliate)
    payout_wallet = PayoutWalletFactory(affiliate=affiliate)
    client = referral_of(affiliate)
    ReferralActionFactory(customer=client, source_id=601)
    services.run_commissions()
    services.approve_due_commissions()
    first = services.create_payout_request(affiliate, payout_wallet=payout_wallet, actor=None)
    services.approve_payout_request(first, actor=admin_staff)
    ReferralActionFactory(
        customer=client, action_type=ReferralAction.Type.CHARGEBACK, source_id=601, reverses_source_id=601
    )
    services.run_commissions()
    services.run_commissions()
    ReferralActionFactory(customer=referral_of(affiliate), source_id=602)
    ReferralActionFactory(customer=referral_of(affiliate), source_id=603)
    services.run_commissions()
    services.approve_due_commissions()

    second = services.create_payout_request(affiliate, payout_wallet=payout_wallet, actor=None)
    services.approve_payout_request(second, actor=admin_staff)

    clawback = CommissionLedger.objects.get(reverses__isnull=False)
    assert (clawback.commission_amount, clawback.action_type, clawback.payout_request) == (
        Decimal("-100.00"),
        ReferralAction.Type.CHARGEBACK,
        second,
    )
    assert CommissionLedger.objects.get(pk=clawback.reverses_id).status == Status.PAIDOUT
    assert (first.amount, second.amount) == (Decimal("100.00"), Decimal("100.00"))
    assert wallet_balance(payout_wallet.wallet) == Decimal("200.00")


def test_monthly_payout_pays_affiliates_on_automatic_payout_once():
    payout_wallet = PayoutWalletFactory(affiliate=AffiliateFactory(auto_payout=True))
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("75.00"))
    manual = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=manual.affiliate)

    paid = services.run_monthly_payouts()
    again = services.run_monthly_payouts()

    assert (len(paid), again) == (1, [])
    assert wallet_balance(payout_wallet.wallet) == Decimal("75.00")
    assert wallet_balance(manual.wallet) == Decimal(0)
