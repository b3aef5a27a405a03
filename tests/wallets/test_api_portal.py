"""Portal wallets API: own wallets only, balances, statements (JSON and XLSX), transfers, transactions."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.wallets.models import Transaction, Wallet
from tests.customers.factories import CustomerFactory
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory, ExchangeRateFactory, WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db
WALLETS = reverse("portal:wallet-list")
TRANSFERS = reverse("portal:transfer-list")


def period():
    now = timezone.now()
    return {"start": (now - timedelta(days=1)).isoformat(), "end": (now + timedelta(days=1)).isoformat()}


@pytest.mark.parametrize(
    ("who", "_case"), [(None, "anonymous"), ("staff", "staff member"), ("nobody", "user without client record")]
)
def test_portal_wallets_refuse_non_clients(api_client, who, _case):
    from tests.users.factories import UserFactory

    if who == "staff":
        api_client.force_authenticate(StaffUserFactory())
    elif who == "nobody":
        api_client.force_authenticate(UserFactory())

    assert api_client.get(WALLETS).status_code in (401, 403)


def test_client_lists_only_own_wallets_and_another_clients_answers_404(portal_client, customer):
    mine = WalletFactory(customer=customer)
    other = WalletFactory()

    listed = portal_client.get(WALLETS).json()
    missing = portal_client.get(reverse("portal:wallet-detail", args=[other.pk]))

    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert missing.status_code == 404


def test_wallet_list_queries_are_flat(portal_client, customer, django_assert_num_queries):
    WalletFactory.create_batch(2, customer=customer)
    portal_client.get(WALLETS)  # the first request of a minute also stamps the client's last activity
    with django_assert_num_queries(2):  # count, page (the client record is cached on the user)
        portal_client.get(WALLETS)
    WalletFactory.create_batch(20, customer=customer)
    with django_assert_num_queries(2):
        portal_client.get(WALLETS)


def test_client_opens_a_wallet_in_the_default_group(portal_client, customer):
    group = AccountGroupFactory()

    response = portal_client.post(WALLETS, {"currency": "USD"})

    assert response.status_code == 201
    wallet = Wallet.objects.get(pk=response.json()["id"])
    assert (wallet.customer, wallet.group, wallet.leverage) == (customer, group, 100)


def test_balance_and_balances(portal_client, customer):
    wallet = fund(WalletFactory(customer=customer), "12.34")

    one = portal_client.get(reverse("portal:wallet-balance", args=[wallet.pk])).json()
    every = portal_client.get(reverse("portal:wallet-balances")).json()

    assert one["balance"] == "12.34000000"
    assert [row["wallet"] for row in every] == [wallet.pk]


def test_statement_has_opening_movements_and_closing(portal_client, customer):
    wallet = fund(WalletFactory(customer=customer), "100.00")
    fund(wallet, "-30.00")

    body = portal_client.get(reverse("portal:wallet-statement", args=[wallet.pk]), period()).json()

    assert body["opening_balance"] == "0.00000000"
    assert [line["amount"] for line in body["lines"]] == ["100.00000000", "-30.00000000"]
    assert body["closing_balance"] == "70.00000000"


def test_statement_needs_a_valid_period(portal_client, customer):
    wallet = WalletFactory(customer=customer)

    response = portal_client.get(reverse("portal:wallet-statement", args=[wallet.pk]), {"start": "x"})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"start", "end"}


def test_statement_as_xlsx(portal_client, customer):
    wallet = fund(WalletFactory(customer=customer), "100.00")

    response = portal_client.get(reverse("portal:wallet-statement-xlsx", args=[wallet.pk]), period())

    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert rows[4][3] == "Opening balance"
    assert rows[-1][3] == "Closing balance"
    assert Decimal(str(rows[-1][6])) == Decimal("100")


def test_transfer_between_own_wallets_with_conversion(portal_client, customer):
    eur = CurrencyFactory(code="EUR")
    ExchangeRateFactory(from_currency=CurrencyFactory(code="USD"), to_currency=eur, rate="0.9")
    source = fund(WalletFactory(customer=customer), "100.00")
    target = WalletFactory(customer=customer, currency=eur)

    response = portal_client.post(
        TRANSFERS,
        {"source_wallet": source.pk, "target_wallet": target.pk, "amount": "10.00"},
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    again = portal_client.post(
        TRANSFERS,
        {"source_wallet": source.pk, "target_wallet": target.pk, "amount": "10.00"},
        HTTP_IDEMPOTENCY_KEY="t-1",
    )

    assert response.status_code == 201
    assert again.json()["id"] == response.json()["id"]
    target.refresh_from_db()
    assert target.balance == Decimal("9.00")


def test_transfer_to_another_clients_wallet_answers_404_and_changes_nothing(portal_client, customer):
    source = fund(WalletFactory(customer=customer), "100.00")
    other = WalletFactory(customer=CustomerFactory())
    before = state(source, other)

    response = portal_client.post(TRANSFERS, {"source_wallet": source.pk, "target_wallet": other.pk, "amount": "1"})

    assert response.status_code == 404
    assert state(source, other) == before


def test_transfer_over_balance_is_400_insufficient_funds(portal_client, customer):
    source = fund(WalletFactory(customer=customer), "5.00")
    target = WalletFactory(customer=customer)
    before = state(source, target)

    response = portal_client.post(TRANSFERS, {"source_wallet": source.pk, "target_wallet": target.pk, "amount": "6"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert state(source, target) == before


def test_transactions_are_scoped_and_cancel_releases_hold(portal_client, customer):
    from crm.wallets import services

    wallet = fund(WalletFactory(customer=customer), "50.00")
    txn = services.request_withdrawal(customer, wallet=wallet, amount=Decimal("20"), actor=customer.user)
    WalletFactory()  # another client's
    listed = portal_client.get(reverse("portal:transaction-list")).json()

    response = portal_client.post(reverse("portal:transaction-cancel", args=[txn.pk]))

    assert [row["id"] for row in listed["results"]] == [txn.pk]
    assert response.json()["status"] == Transaction.Status.CANCELLED
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50.00")


def test_demo_top_up(portal_client, customer):
    demo = WalletFactory(customer=customer, is_demo=True, type="demo")

    response = portal_client.post(reverse("portal:wallet-top-up-demo", args=[demo.pk]), {"amount": "500"})

    assert response.status_code == 200
    assert response.json()["balance"] == "500.00000000"


def test_convert_an_amount(portal_client):
    ExchangeRateFactory(rate="1.5")

    response = portal_client.get(
        reverse("portal:exchangerate-convert"), {"source": "EUR", "target": "USD", "amount": "10"}
    )

    assert response.json()["converted"] == "15.00000000"
