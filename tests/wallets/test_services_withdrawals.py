"""Withdrawals (hold, approve, maker-checker, reject, cancel, refund), movements by hand and demo top-ups."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.core.services import set_setting
from crm.customers.models import VerificationLimit
from crm.wallets import selectors, services
from crm.wallets.exceptions import (
    FourEyesRequired,
    InsufficientFunds,
    InvalidTransition,
    LimitExceeded,
    OperationNotAllowed,
)
from crm.wallets.models import Transaction
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory, VerificationLevelFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


def request(wallet, amount="40.00", **kwargs):
    return services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal(amount), actor=None, **kwargs)


@pytest.fixture
def second_finance(db):
    from crm.core.roles import Role

    return staff_with_role(Role.FINANCE)


def test_request_moves_money_to_hold_at_once():
    wallet = fund(WalletFactory(), "100.00")

    txn = request(wallet)

    wallet.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert (wallet.balance, wallet.on_hold) == (Decimal("60.00"), Decimal("40.00"))


def test_request_over_balance_is_refused_and_changes_nothing():
    wallet = fund(WalletFactory(), "10.00")
    before = state(wallet)

    with pytest.raises(InsufficientFunds):
        request(wallet, "10.01")

    assert state(wallet) == before


def test_approve_sends_hold_to_psp_clearing(finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)

    txn = services.approve_withdrawal(txn, actor=finance_officer, comment="ok")

    wallet.refresh_from_db()
    assert txn.status == Transaction.Status.APPROVED
    assert (txn.approved_by, txn.comment) == (finance_officer, "ok")
    assert (wallet.balance, wallet.on_hold) == (Decimal("60.00"), Decimal("0.00"))
    assert selectors.wallet_balance(services.system_account("psp_clearing", "USD")) == Decimal("40.00")


def test_approve_with_lower_amount_returns_the_rest(finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)

    txn = services.approve_withdrawal(txn, actor=finance_officer, amount=Decimal("25.00"))

    wallet.refresh_from_db()
    assert (txn.amount, txn.original_amount) == (Decimal("25.00"), Decimal("40.00"))
    assert (wallet.balance, wallet.on_hold) == (Decimal("75.00"), Decimal("0.00"))


def test_approve_with_higher_amount_than_held_is_refused(finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)
    before = state(wallet)

    with pytest.raises(ValidationError):
        services.approve_withdrawal(txn, actor=finance_officer, amount=Decimal("41.00"))

    assert state(wallet) == before


def test_reject_releases_the_hold_and_needs_a_reason(finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)
    with pytest.raises(ValidationError):
        services.reject_withdrawal(txn, actor=finance_officer, reason=" ")

    txn = services.reject_withdrawal(txn, actor=finance_officer, reason="KYC")

    wallet.refresh_from_db()
    assert (txn.status, txn.rejected_by, txn.rejection_reason) == ("rejected", finance_officer, "KYC")
    assert (wallet.balance, wallet.on_hold) == (Decimal("100.00"), Decimal("0.00"))
    with pytest.raises(InvalidTransition):
        services.approve_withdrawal(txn, actor=finance_officer)


def test_client_cancels_before_approval():
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)

    txn = services.cancel_withdrawal(txn, actor=wallet.customer.user)

    wallet.refresh_from_db()
    assert txn.status == Transaction.Status.CANCELLED
    assert wallet.balance == Decimal("100.00")


def test_refund_gives_the_money_back_once(finance_officer, second_finance):
    wallet = fund(WalletFactory(), "100.00")
    txn = services.approve_withdrawal(request(wallet, fee=Decimal("1.00")), actor=finance_officer)

    services.refund_withdrawal(txn, actor=second_finance)
    txn = services.refund_withdrawal(txn, actor=second_finance)

    wallet.refresh_from_db()
    assert (txn.status, txn.refunded_by) == ("refunded", second_finance)
    assert wallet.balance == Decimal("100.00")
    assert selectors.wallet_balance(services.system_account("fee_income", "USD")) == Decimal("0")


def test_above_threshold_two_different_approvers_are_needed(finance_officer, second_finance):
    set_setting("wallets.second_approval_above", {"USD": "30"}, value_type="json")
    wallet = fund(WalletFactory(), "100.00")
    txn = request(wallet)

    txn = services.approve_withdrawal(txn, actor=finance_officer)
    assert txn.status == Transaction.Status.PENDING
    with pytest.raises(FourEyesRequired):
        services.approve_withdrawal(txn, actor=finance_officer)
    txn = services.approve_withdrawal(txn, actor=second_finance)

    assert txn.status == Transaction.Status.APPROVED
    assert (txn.approved_by, txn.second_approved_by) == (finance_officer, second_finance)


def test_nobody_approves_what_they_created(finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("5"), actor=finance_officer)
    before = state(wallet)

    with pytest.raises(FourEyesRequired):
        services.approve_withdrawal(txn, actor=finance_officer)

    assert state(wallet) == before


def test_auto_withdrawal_limit_approves_at_once():
    level = VerificationLevelFactory(allowed_operations=["withdraw"])
    VerificationLimit.objects.create(level=level, currency="USD", auto_withdrawal=Decimal("50"))
    wallet = fund(WalletFactory(customer=CustomerFactory(verification_level=level)), "200.00")

    small = request(wallet, "50.00")
    large = request(wallet, "50.01")

    assert small.status == Transaction.Status.APPROVED
    assert small.approved_by is None
    assert large.status == Transaction.Status.PENDING


def test_monthly_withdrawal_limit():
    level = VerificationLevelFactory(allowed_operations=["withdraw"])
    VerificationLimit.objects.create(level=level, currency="USD", monthly_withdrawal=Decimal("50"))
    wallet = fund(WalletFactory(customer=CustomerFactory(verification_level=level)), "100.00")
    request(wallet, "30.00")

    with pytest.raises(LimitExceeded):
        request(wallet, "30.00")


def test_manual_bonus_to_credit_line(finance_officer):
    wallet = WalletFactory()

    txn = services.create_movement(
        wallet, kind="BONUS", amount=Decimal("20"), add_to_credit=True, actor=finance_officer
    )

    wallet.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert (wallet.balance, wallet.credit) == (Decimal("0"), Decimal("20.00"))


def test_negative_correction_and_fee_cannot_overdraw(finance_officer):
    wallet = fund(WalletFactory(), "10.00")

    services.create_movement(wallet, kind="FEE", amount=Decimal("3"), actor=finance_officer)
    services.create_movement(wallet, kind="CORRECTION", amount=Decimal("2"), is_increase=False, actor=finance_officer)
    with pytest.raises(InsufficientFunds):
        services.create_movement(wallet, kind="FEE", amount=Decimal("6"), actor=finance_officer)

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("5.00")


def test_large_manual_deposit_waits_for_another_approver(finance_officer, second_finance):
    set_setting("wallets.second_approval_above", {"*": "100"}, value_type="json")
    wallet = WalletFactory()

    txn = services.create_movement(wallet, kind="DEPOSIT", amount=Decimal("500"), actor=finance_officer)
    assert txn.status == Transaction.Status.PENDING
    with pytest.raises((FourEyesRequired, OperationNotAllowed)):
        services.approve_transaction(txn, actor=finance_officer)
    txn = services.approve_transaction(txn, actor=second_finance)

    wallet.refresh_from_db()
    assert (txn.status, txn.is_ftd, wallet.balance) == ("completed", True, Decimal("500.00"))


def test_demo_top_up_only_on_demo_and_under_the_ceiling():
    demo = WalletFactory(is_demo=True, type="demo")
    set_setting("wallets.demo_max_balance", "1000", value_type="decimal")

    services.top_up_demo(demo, amount=Decimal("900"), actor=None)
    with pytest.raises(ValidationError):
        services.top_up_demo(demo, amount=Decimal("101"), actor=None)
    with pytest.raises(OperationNotAllowed):
        services.top_up_demo(WalletFactory(), amount=Decimal("1"), actor=None)

    demo.refresh_from_db()
    assert demo.balance == Decimal("900.00")
