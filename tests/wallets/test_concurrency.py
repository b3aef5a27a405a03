"""Money under concurrency, on PostgreSQL with real row locks: many threads against the same wallets.

Each thread has its own database connection; a barrier starts them together. Whatever the
interleaving: no overdraft, no double credit, one FTD per client, and verify_ledger stays clean.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from crm.core.exceptions import DomainError
from crm.payments import services as payments
from crm.payments.adapters import get_adapter
from crm.payments.models import WebhookEvent
from crm.wallets import selectors, services
from crm.wallets.models import JournalEntry, Transaction, Wallet
from tests.customers.factories import CustomerFactory
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import CurrencyFactory, ExchangeRateFactory, WalletFactory
from tests.wallets.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads started at once; returns each call's result or the exception it raised."""
    barrier = threading.Barrier(min(THREADS, len(calls)))

    def run(call):
        try:
            if len(calls) <= THREADS:
                barrier.wait(timeout=10)
            return call()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, calls))


def assert_ledger_clean():
    call_command("verify_ledger")


def unexpected(results):
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]


def test_parallel_withdrawals_never_overdraw():
    wallet = fund(WalletFactory(), "100.00")
    customer = wallet.customer
    calls = [
        lambda: services.request_withdrawal(customer, wallet=wallet, amount=Decimal("15"), actor=None)
        for _ in range(24)
    ]

    results = run_together(calls)

    assert unexpected(results) == []
    made = [r for r in results if isinstance(r, Transaction)]
    wallet.refresh_from_db()
    assert len(made) == 6
    assert (wallet.balance, wallet.on_hold) == (Decimal("10.00"), Decimal("90.00"))
    assert_ledger_clean()


def test_parallel_approvals_of_one_withdrawal_settle_once(django_user_model):
    from crm.core.roles import Role
    from tests.conftest import staff_with_role

    approvers = [staff_with_role(Role.FINANCE) for _ in range(6)]
    wallet = fund(WalletFactory(), "100.00")
    txn = services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("40"), actor=None)

    results = run_together([lambda a=a: services.approve_withdrawal(txn, actor=a) for a in approvers])

    assert unexpected(results) == []
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (Decimal("60.00"), Decimal("0.00"))
    assert JournalEntry.objects.filter(idempotency_key=f"withdrawal:{txn.pk}:settle").count() == 1
    assert selectors.wallet_balance(services.system_account("psp_clearing", "USD")) == Decimal("40.00")
    assert_ledger_clean()


def test_parallel_transfers_conserve_money_and_never_go_negative():
    CurrencyFactory(code="USD")
    eur = CurrencyFactory(code="EUR")
    ExchangeRateFactory(from_currency=eur, rate="1.25")
    customer = CustomerFactory()
    wallets = [fund(WalletFactory(customer=customer), "100.00") for _ in range(3)]
    wallets.append(fund(WalletFactory(customer=customer, currency=eur), "100.00"))
    rng = random.Random(4)  # noqa: S311 - test data
    plan = [(*rng.sample(wallets, 2), rng.choice(["5", "17.5", "40", "60"])) for _ in range(48)]
    calls = [
        lambda s=s, t=t, a=a: services.transfer_between_wallets(
            customer, source=s, target=t, amount=Decimal(a), actor=None
        )
        for s, t, a in plan
    ]

    results = run_together(calls)

    assert unexpected(results) == []
    assert any(isinstance(r, Transaction) for r in results)
    fresh = Wallet.objects.filter(pk__in=[w.pk for w in wallets])
    assert all(w.balance >= 0 for w in fresh)
    usd_total = sum(w.balance for w in fresh if w.currency_id == "USD")
    fx_usd = selectors.wallet_balance(services.system_account("fx", "USD"))
    assert usd_total + fx_usd == Decimal("300.00")
    assert_ledger_clean()


def test_parallel_webhook_deliveries_credit_once_each():
    wallet = WalletFactory()
    method = PaymentMethodFactory()
    first = payments.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("50"), actor=None)
    second = payments.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("30"), actor=None)
    adapter = get_adapter(first.provider)
    deliveries = [adapter.webhook(first, event_id="evt-a"), adapter.webhook(second, event_id="evt-b")]

    def deliver(body, headers):
        webhook, _ = payments.receive_webhook("sandbox", headers=headers, body=body)
        return payments.process_webhook(webhook.pk)

    results = run_together([lambda d=deliveries[i % 2]: deliver(*d) for i in range(16)])

    assert unexpected(results) == []
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("80.00")
    assert WebhookEvent.objects.count() == 2
    assert Transaction.objects.filter(is_ftd=True).count() == 1
    assert_ledger_clean()


def test_the_same_webhook_ten_times_in_parallel_credits_once():
    wallet = WalletFactory()
    payment = payments.start_deposit(
        wallet.customer, method=PaymentMethodFactory(), wallet=wallet, amount=Decimal("25"), actor=None
    )
    body, headers = get_adapter(payment.provider).webhook(payment, event_id="evt-same")

    def deliver():
        webhook, _ = payments.receive_webhook("sandbox", headers=headers, body=body)
        return payments.process_webhook(webhook.pk)

    results = run_together([deliver for _ in range(10)])

    assert unexpected(results) == []
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("25.00")
    assert JournalEntry.objects.filter(idempotency_key=f"deposit:{payment.transaction_id}").count() == 1
    assert_ledger_clean()


def test_withdrawals_and_deposits_racing_on_one_wallet(django_user_model):
    wallet = fund(WalletFactory(), "60.00")
    customer = wallet.customer
    deposits = [services.start_deposit(customer, wallet=wallet, amount=Decimal("10"), actor=None) for _ in range(6)]
    calls = [lambda d=d: services.confirm_deposit(d, provider_reference="p") for d in deposits]
    calls += [
        lambda: services.request_withdrawal(customer, wallet=wallet, amount=Decimal("20"), actor=None)
        for _ in range(8)
    ]
    random.Random(2).shuffle(calls)  # noqa: S311 - test data

    results = run_together(calls)

    assert unexpected(results) == []
    wallet.refresh_from_db()
    withdrawn = Transaction.objects.filter(type="WITHDRAWAL").count() * Decimal("20")
    assert wallet.balance == Decimal("120.00") - withdrawn
    assert wallet.balance >= 0
    assert wallet.on_hold == withdrawn
    assert_ledger_clean()


def test_one_request_key_sent_many_times_at_once_moves_the_money_once():
    from crm.core.roles import Role
    from tests.conftest import staff_with_role

    wallet = WalletFactory()
    finance = staff_with_role(Role.FINANCE)
    calls = [
        lambda: services.create_movement(
            wallet, kind=Transaction.Type.DEPOSIT, amount=Decimal("30"), actor=finance, request_key="retry-1"
        )
        for _ in range(THREADS)
    ]

    results = run_together(calls)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert {r.pk for r in results} == {Transaction.objects.get(request_key="retry-1").pk}
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("30.00")
    assert_ledger_clean()


def test_one_seed_001_deduplication_id_sent_many_times_at_once_credits_once():
    from crm.core.roles import Role
    from crm.trading.services import transfers as backoffice_transfers
    from tests.conftest import staff_with_role

    wallet = WalletFactory()
    finance = staff_with_role(Role.FINANCE)

    def deposit():
        return backoffice_transfers.deposit(
            caller=finance, account_id=wallet.number, asset=wallet.currency_id, amount=Decimal("30"), request_key="d-1"
        )

    results = run_together([deposit for _ in range(THREADS)])

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({r.pk for r in results}) == 1
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("30.00")
    assert_ledger_clean()


def test_one_seed_001_deduplication_id_sent_at_once_for_two_clients_accounts_credits_one():
    from crm.core.roles import Role
    from crm.trading.services import transfers as backoffice_transfers
    from crm.wallets.exceptions import IdempotencyConflict
    from tests.conftest import staff_with_role

    currency = CurrencyFactory()
    wallets = [WalletFactory(currency=currency), WalletFactory(currency=currency)]
    finance = staff_with_role(Role.FINANCE)

    def deposit_to(wallet):
        return lambda: backoffice_transfers.deposit(
            caller=finance, account_id=wallet.number, asset=wallet.currency_id, amount=Decimal("30"), request_key="d-2"
        )

    results = run_together([deposit_to(wallets[i % 2]) for i in range(THREADS)])

    credited = Transaction.objects.get(request_key="d-2")
    assert {r.pk for r in results if not isinstance(r, Exception)} == {credited.pk}
    assert {type(r) for r in results if isinstance(r, Exception)} == {IdempotencyConflict}
    assert sorted(wallet_balance(w) for w in wallets) == [Decimal("0.00"), Decimal("30.00")]
    assert_ledger_clean()


def wallet_balance(wallet):
    wallet.refresh_from_db()
    return wallet.balance
