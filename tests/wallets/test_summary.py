"""The client summary staff decide on: the client page, the withdrawal review and the back-office API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.customers import services as customer_services
from crm.customers.models import VerificationLevel
from crm.wallets.models import Transaction
from crm.wallets.summary import client_summary
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import TransactionFactory, WalletFactory

pytestmark = pytest.mark.django_db

SUMMARY_QUERIES = 8
D, W = Transaction.Type.DEPOSIT, Transaction.Type.WITHDRAWAL
S = Transaction.Status


def _client_with_money(agent):
    level = VerificationLevel.objects.create(name="Level 1", allowed_operations=["deposit", "withdraw"])
    customer = CustomerFactory(conversion_agent=agent, verification_level=level, risk_status="medium")
    wallet = WalletFactory(customer=customer, balance=Decimal("240.5"))
    TransactionFactory(wallet=wallet, type=D, status=S.COMPLETED, amount="500.00", is_ftd=True)
    TransactionFactory(wallet=wallet, type=D, status=S.COMPLETED, amount="40.50")
    TransactionFactory(wallet=wallet, type=D, status=S.REFUNDED, amount="999.00")
    TransactionFactory(wallet=wallet, type=W, status=S.APPROVED, amount="200.00")
    TransactionFactory(wallet=wallet, type=W, status=S.COMPLETED, amount="100.00")
    pending = TransactionFactory(wallet=wallet, type=W, status=S.PENDING, amount="50.00")
    customer_services.add_comment(customer, body="Wants a bigger leverage", actor=agent)
    customer_services.log_call(customer, outcome="answered", note="Will deposit Friday", actor=agent)
    return customer, pending


def test_summary_adds_up_money_per_currency(sales_agent):
    customer, _ = _client_with_money(sales_agent)

    summary = client_summary(customer)

    [totals] = summary.totals
    assert (totals.deposits, totals.deposit_count, totals.withdrawals) == (Decimal("540.5"), 2, Decimal("300"))
    assert (totals.net_deposit, totals.pending_withdrawals) == (Decimal("240.5"), Decimal("50"))
    assert summary.ftd.amount == Decimal("500")
    assert summary.allowed_operations == ["Deposit", "Withdraw"]
    assert [w.balance for w in summary.wallets] == [Decimal("240.5")]
    kinds = [entry.kind for entry in summary.timeline]
    assert {"Comment", "Call", "Deposit", "Withdrawal"} <= set(kinds)


def test_summary_runs_a_fixed_number_of_queries(sales_agent):
    customer, pending = _client_with_money(sales_agent)
    with CaptureQueriesContext(connection) as small:
        client_summary(customer)
    for _ in range(10):
        TransactionFactory(wallet=pending.wallet, type=D, status=S.COMPLETED, amount="1.00")
        customer_services.log_call(customer, outcome="busy", actor=sales_agent)
    WalletFactory(customer=customer, number="EUR-1")

    with CaptureQueriesContext(connection) as large:
        client_summary(customer)

    assert len(small.captured_queries) == len(large.captured_queries) == SUMMARY_QUERIES


def test_api_answers_the_summary_of_a_visible_client(api_client, sales_agent):
    customer, _ = _client_with_money(sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.get(f"/api/v1/backoffice/client-summaries/{customer.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["totals"] == [
        {
            "currency": "USD",
            "deposits": "540.50000000",
            "deposit_count": 2,
            "withdrawals": "300.00000000",
            "net_deposit": "240.50000000",
            "pending_withdrawals": "50.00000000",
        }
    ]
    assert (body["risk_status"], body["verification_level"], body["open_positions"]) == ("medium", "Level 1", 0)
    assert body["conversion_agent"]["id"] == sales_agent.pk
    assert body["ftd"]["amount"] == "500.00000000"
    assert body["timeline"][0]["kind"] == "Call"


def test_api_summary_of_another_agents_client_is_404(api_client, sales_agent, other_sales_agent):
    customer = CustomerFactory(conversion_agent=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.get(f"/api/v1/backoffice/client-summaries/{customer.pk}/")

    assert response.status_code == 404


def test_client_page_shows_the_summary(client, sales_agent):
    customer, _ = _client_with_money(sales_agent)
    client.force_login(sales_agent)

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert 'id="client-summary"' in page
    assert "240.50 USD" in page  # balance and net deposit, one money format
    assert "Will deposit Friday" in page
    assert "trading is not connected yet" in page


def test_withdrawal_review_shows_the_clients_summary(client, finance_officer, sales_agent):
    _customer, pending = _client_with_money(sales_agent)
    client.force_login(finance_officer)

    page = client.get(reverse("admin:wallets_transaction_change", args=[pending.pk])).content.decode()

    assert 'id="client-summary"' in page
    assert "540.50 USD" in page
    assert "Wants a bigger leverage" in page
