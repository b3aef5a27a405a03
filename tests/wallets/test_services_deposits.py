"""Deposits and transfers: confirmation once, FTD once, client counters via events, gates and limits."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.core.models import OutboxEvent
from crm.customers.models import Customer, VerificationLimit
from crm.wallets import selectors, services
from crm.wallets.exceptions import (
    InvalidTransition,
    LimitExceeded,
    NoExchangeRate,
    OperationNotAllowed,
    PendingMovement,
)
from crm.wallets.models import Transaction
from tests.customers.factories import CustomerFactory, VerificationLevelFactory
from tests.wallets.factories import CurrencyFactory, ExchangeRateFactory, WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


def start(wallet, amount="100.00", **kwargs):
    return services.start_deposit(wallet.customer, wallet=wallet, amount=Decimal(amount), actor=None, **kwargs)


def test_confirming_the_same_deposit_twice_credits_once():
    wallet = WalletFactory()
    deposit = start(wallet)

    services.confirm_deposit(deposit, provider_reference="psp-1")
    services.confirm_deposit(deposit, provider_reference="psp-1")

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("100.00")
    assert selectors.wallet_balance(wallet) == Decimal("100.00")
    assert selectors.wallet_balance(services.system_account("psp_clearing", "USD")) == Decimal("-100.00")


def test_first_deposit_marks_ftd_emits_events_and_updates_client_counters(django_capture_on_commit_callbacks):
    wallet = WalletFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.confirm_deposit(start(wallet), provider_reference="a")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.confirm_deposit(start(wallet, "50.00"), provider_reference="b")

    assert (first.is_ftd, second.is_ftd) == (True, False)
    names = list(OutboxEvent.objects.values_list("name", flat=True))
    assert names.count("deposit.first") == 1
    assert names.count("client.ftd") == 1
    assert names.count("deposit.completed") == 2
    customer = Customer.objects.get(pk=wallet.customer_id)
    assert customer.deposit_count == 2
    assert customer.first_deposit_at == first.completed_at
    assert customer.last_deposit_at == second.completed_at


def test_deposit_fee_goes_to_fee_income():
    wallet = WalletFactory()

    services.confirm_deposit(start(wallet, fee=Decimal("2.50")), provider_reference="x")

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("97.50")
    assert selectors.wallet_balance(services.system_account("fee_income", "USD")) == Decimal("2.50")


def test_provider_amount_wins_and_the_requested_one_is_kept():
    deposit = start(WalletFactory())

    deposit = services.confirm_deposit(deposit, provider_reference="x", amount=Decimal("90.00"))

    assert (deposit.amount, deposit.original_amount) == (Decimal("90.00"), Decimal("100.00"))


def test_failed_deposit_cannot_be_confirmed():
    deposit = services.fail_deposit(start(WalletFactory()), reason="declined")

    with pytest.raises(InvalidTransition):
        services.confirm_deposit(deposit, provider_reference="x")


def test_deposit_request_key_twice_makes_one_deposit():
    wallet = WalletFactory()

    first = start(wallet, request_key="abc")
    second = start(wallet, request_key="abc")

    assert first.pk == second.pk


def test_level_without_deposit_refuses_and_changes_nothing():
    level = VerificationLevelFactory(allowed_operations=[])
    wallet = WalletFactory(customer=CustomerFactory(verification_level=level))
    before = state(wallet)

    with pytest.raises(OperationNotAllowed):
        start(wallet)

    assert state(wallet) == before


def test_daily_deposit_limit_counts_pending_and_completed():
    level = VerificationLevelFactory(allowed_operations=["deposit"])
    VerificationLimit.objects.create(level=level, currency="USD", daily_deposit=Decimal("150"))
    wallet = WalletFactory(customer=CustomerFactory(verification_level=level))
    start(wallet)

    with pytest.raises(LimitExceeded):
        start(wallet, "60.00")
    start(wallet, "50.00")


def test_disabled_wallet_or_switch_refuses():
    with pytest.raises(OperationNotAllowed):
        start(WalletFactory(is_enabled=False))
    with pytest.raises(OperationNotAllowed):
        start(WalletFactory(can_deposit=False))


def test_amount_finer_than_currency_is_a_field_error():
    with pytest.raises(ValidationError) as info:
        start(WalletFactory(), "1.001")

    assert "amount" in info.value.message_dict


def test_transfer_same_currency_moves_money():
    customer = CustomerFactory()
    source = fund(WalletFactory(customer=customer), "100.00")
    target = WalletFactory(customer=customer)

    txn = services.transfer_between_wallets(customer, source=source, target=target, amount=Decimal("40"), actor=None)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.balance, target.balance) == (Decimal("60.00"), Decimal("40.00"))
    assert txn.status == Transaction.Status.COMPLETED


def test_transfer_converts_at_current_rate_rounding_down():
    customer = CustomerFactory()
    eur = CurrencyFactory(code="EUR")
    ExchangeRateFactory(from_currency=eur, to_currency=CurrencyFactory(code="USD"), rate="1.123456")
    source = fund(WalletFactory(customer=customer, currency=eur), "10.00")
    target = WalletFactory(customer=customer)

    txn = services.transfer_between_wallets(customer, source=source, target=target, amount=Decimal("10"), actor=None)

    target.refresh_from_db()
    assert target.balance == Decimal("11.23")
    assert txn.exchange_rate == Decimal("1.123456")
    assert selectors.wallet_balance(services.system_account("fx", "EUR")) == Decimal("10.00")
    assert selectors.wallet_balance(services.system_account("fx", "USD")) == Decimal("-11.23")


def test_transfer_uses_the_inverse_rate_or_a_conversion_path():
    usd, eur, btc = (
        CurrencyFactory(code="USD"),
        CurrencyFactory(code="EUR"),
        CurrencyFactory(code="BTC", minor_units=8),
    )
    ExchangeRateFactory(from_currency=eur, to_currency=usd, rate="2")
    ExchangeRateFactory(from_currency=btc, to_currency=usd, rate="50000")
    services.save_conversion(source=btc, target=eur, path="BTC>USD>EUR", actor=None)

    assert services.current_rate("USD", "EUR") == Decimal("0.5")
    assert services.current_rate("BTC", "EUR") == Decimal("25000")


def test_transfer_without_rate_is_refused_and_changes_nothing():
    customer = CustomerFactory()
    source = fund(WalletFactory(customer=customer), "10.00")
    target = WalletFactory(customer=customer, currency=CurrencyFactory(code="GBP"))
    before = state(source, target)

    with pytest.raises(NoExchangeRate):
        services.transfer_between_wallets(customer, source=source, target=target, amount=Decimal("5"), actor=None)

    assert state(source, target) == before


def test_transfer_to_another_clients_wallet_is_refused():
    customer = CustomerFactory()
    source = fund(WalletFactory(customer=customer), "10.00")

    with pytest.raises(OperationNotAllowed):
        services.transfer_between_wallets(
            customer, source=source, target=WalletFactory(), amount=Decimal("5"), actor=None
        )


def test_transfer_follows_the_clients_level_else_the_default_level():
    VerificationLevelFactory(name="Default", is_default=True, allowed_operations=["deposit"])
    own = VerificationLevelFactory(name="Own", allowed_operations=["deposit", "transfer"])
    VerificationLimit.objects.create(level=own, currency="USD", transfer_min=Decimal("5"))
    at_default = CustomerFactory(verification_level=None)
    at_own = CustomerFactory(verification_level=own)
    wallets = {
        c.pk: (fund(WalletFactory(customer=c), "50.00"), WalletFactory(customer=c)) for c in (at_default, at_own)
    }

    def transfer(customer, amount):
        source, target = wallets[customer.pk]
        return services.transfer_between_wallets(customer, source=source, target=target, amount=amount, actor=None)

    before = state(*wallets[at_default.pk], *wallets[at_own.pk])
    with pytest.raises(OperationNotAllowed) as refused:
        transfer(at_default, Decimal("10"))
    assert refused.value.code == "verification_required"
    with pytest.raises(LimitExceeded):
        transfer(at_own, Decimal("4"))
    assert state(*wallets[at_default.pk], *wallets[at_own.pk]) == before
    assert transfer(at_own, Decimal("10")).status == Transaction.Status.COMPLETED


def test_transfer_of_a_missing_client_is_refused():
    customer = CustomerFactory()
    source = fund(WalletFactory(customer=customer), "10.00")
    target = WalletFactory(customer=customer)
    before = state(source, target)

    with pytest.raises(Customer.DoesNotExist):
        services.transfer_between_wallets(
            Customer(pk=customer.pk + 1000), source=source, target=target, amount=Decimal("5"), actor=None
        )
    assert state(source, target) == before


def test_group_change_is_refused_while_a_movement_is_pending(finance_officer):
    from tests.wallets.factories import AccountGroupFactory

    wallet = WalletFactory()
    start(wallet)

    with pytest.raises(PendingMovement):
        services.update_wallet(wallet, group=AccountGroupFactory(), actor=finance_officer)


def test_currency_change_is_refused_while_pending_or_once_money_moved(finance_officer):
    wallet = WalletFactory()
    eur = CurrencyFactory(code="EUR")
    deposit = start(wallet)

    with pytest.raises(PendingMovement):
        services.change_wallet_currency(wallet, currency=eur, actor=finance_officer)
    services.confirm_deposit(deposit, provider_reference="x")
    with pytest.raises(ValidationError):
        services.change_wallet_currency(wallet, currency=eur, actor=finance_officer)

    empty = services.change_wallet_currency(WalletFactory(), currency=eur, actor=finance_officer)
    assert empty.currency_id == "EUR"
