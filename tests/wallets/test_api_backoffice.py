"""Back-office wallets API: contract (anonymous, no permission, scoping, 404), Finance steps, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.models import ExportJob
from crm.wallets import services
from crm.wallets.models import Transaction
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory, WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db
WALLETS = reverse("backoffice:wallet-list")
TRANSACTIONS = reverse("backoffice:transaction-list")


def withdrawal(amount="40.00", balance="100.00"):
    wallet = fund(WalletFactory(), balance)
    return services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal(amount), actor=None)


@pytest.mark.parametrize("url", [WALLETS, TRANSACTIONS, reverse("backoffice:journalentry-list")])
def test_anonymous_is_refused(api_client, url):
    assert api_client.get(url).status_code in (401, 403)


def test_staff_without_permission_cannot_approve(api_client, sales_agent):
    txn = withdrawal()
    txn.wallet.customer.conversion_agent = sales_agent
    txn.wallet.customer.save()
    api_client.force_authenticate(sales_agent)
    before = state(txn.wallet)

    response = api_client.post(reverse("backoffice:transaction-approve", args=[txn.pk]), {})

    assert response.status_code == 403
    assert state(txn.wallet) == before


def test_agent_sees_only_own_clients_wallets(api_client, sales_agent):
    own = WalletFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    other = WalletFactory()
    api_client.force_authenticate(sales_agent)

    listed = api_client.get(WALLETS).json()

    assert [row["id"] for row in listed["results"]] == [own.pk]
    assert api_client.get(reverse("backoffice:wallet-detail", args=[other.pk])).status_code == 404


def test_wallet_and_transaction_lists_are_flat(api_client, finance_officer, django_assert_num_queries):
    api_client.force_authenticate(finance_officer)
    for _ in range(2):
        withdrawal()
    api_client.get(WALLETS)  # warm up: the user's permissions are cached after the first request
    with django_assert_num_queries(2):  # count + page
        api_client.get(WALLETS)
    with django_assert_num_queries(2):
        api_client.get(TRANSACTIONS)
    for _ in range(10):
        withdrawal()
    with django_assert_num_queries(2):
        api_client.get(WALLETS)
    with django_assert_num_queries(2):
        api_client.get(TRANSACTIONS)


def test_finance_approves_with_changed_amount_and_comment(api_client, finance_officer):
    txn = withdrawal()
    api_client.force_authenticate(finance_officer)

    response = api_client.post(
        reverse("backoffice:transaction-approve", args=[txn.pk]), {"changed_amount": "30.00", "comment": "partial"}
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["amount"], body["original_amount"]) == ("approved", "30.00000000", "40.00000000")
    assert body["approved_by"] == finance_officer.pk


def test_reject_needs_reason_and_releases_hold(api_client, finance_officer):
    txn = withdrawal()
    api_client.force_authenticate(finance_officer)
    url = reverse("backoffice:transaction-reject", args=[txn.pk])

    assert api_client.post(url, {}).status_code == 400
    response = api_client.post(url, {"reason": "documents missing"})

    assert response.json()["status"] == "rejected"
    txn.wallet.refresh_from_db()
    assert txn.wallet.on_hold == Decimal("0")


def test_refund_after_approval(api_client, finance_officer, second_finance):
    txn = services.approve_withdrawal(withdrawal(), actor=finance_officer)
    api_client.force_authenticate(second_finance)

    response = api_client.post(reverse("backoffice:transaction-refund", args=[txn.pk]), {})

    assert response.json()["status"] == "refunded"


def test_approving_twice_in_a_row_is_refused_for_a_rejected_one(api_client, finance_officer):
    txn = services.reject_withdrawal(withdrawal(), actor=finance_officer, reason="no")
    api_client.force_authenticate(finance_officer)

    response = api_client.post(reverse("backoffice:transaction-approve", args=[txn.pk]), {})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_creator_cannot_approve_own_movement(api_client, finance_officer):
    from crm.core.services import set_setting

    set_setting("wallets.second_approval_above", {"*": "10"}, value_type="json")
    wallet = WalletFactory()
    api_client.force_authenticate(finance_officer)
    created = api_client.post(
        reverse("backoffice:wallet-movements", args=[wallet.pk]), {"type": "BONUS", "amount": "50"}
    ).json()

    response = api_client.post(reverse("backoffice:transaction-approve", args=[created["id"]]), {})

    assert created["status"] == "pending"
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "four_eyes_required"


def test_manual_correction_to_credit(api_client, finance_officer):
    wallet = WalletFactory()
    api_client.force_authenticate(finance_officer)

    response = api_client.post(
        reverse("backoffice:wallet-movements", args=[wallet.pk]),
        {"type": "CORRECTION", "amount": "5", "add_to_credit": True, "comment": "goodwill"},
    )

    assert response.status_code == 201
    wallet.refresh_from_db()
    assert wallet.credit == Decimal("5.00")


def test_manual_withdrawal_goes_on_hold_for_approval(api_client, finance_officer):
    wallet = fund(WalletFactory(), "20.00")
    api_client.force_authenticate(finance_officer)

    response = api_client.post(
        reverse("backoffice:wallet-movements", args=[wallet.pk]), {"type": "WITHDRAWAL", "amount": "5"}
    )

    assert response.json()["status"] == "pending"
    assert response.json()["created_by"] == finance_officer.pk
    wallet.refresh_from_db()
    assert wallet.on_hold == Decimal("5.00")


def test_group_change_refused_while_pending(api_client, finance_officer):
    txn = withdrawal()
    api_client.force_authenticate(finance_officer)

    response = api_client.patch(
        reverse("backoffice:wallet-detail", args=[txn.wallet_id]), {"group": AccountGroupFactory().pk}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "pending_movement"


def test_enable_disable_and_balance(api_client, finance_officer):
    wallet = fund(WalletFactory(), "3.00")
    api_client.force_authenticate(finance_officer)

    api_client.post(reverse("backoffice:wallet-disable", args=[wallet.pk]))
    balance = api_client.get(reverse("backoffice:wallet-balance", args=[wallet.pk])).json()

    wallet.refresh_from_db()
    assert wallet.is_enabled is False
    assert balance["balance"] == "3.00000000"


def test_create_wallet_for_a_client(api_client, finance_officer):
    customer = CustomerFactory()
    CurrencyFactory()
    api_client.force_authenticate(finance_officer)

    response = api_client.post(WALLETS, {"customer": customer.pk, "currency": "USD"})

    assert response.status_code == 201
    assert response.json()["customer"] == customer.pk


def test_transactions_filters(api_client, finance_officer):
    pending = withdrawal()
    services.reject_withdrawal(withdrawal(), actor=finance_officer, reason="x")
    api_client.force_authenticate(finance_officer)

    rows = api_client.get(TRANSACTIONS, {"status": "pending", "type": "WITHDRAWAL"}).json()["results"]

    assert [row["id"] for row in rows] == [pending.pk]


def test_transactions_export_queues_a_job(api_client, finance_officer, django_capture_on_commit_callbacks):
    withdrawal()
    api_client.force_authenticate(finance_officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(reverse("backoffice:transaction-export") + "?status=pending")

    assert response.status_code == 202
    assert ExportJob.objects.get().status == ExportJob.Status.DONE


def test_journal_entries_read_only_with_postings(api_client, finance_officer):
    withdrawal()
    api_client.force_authenticate(finance_officer)

    rows = api_client.get(reverse("backoffice:journalentry-list")).json()["results"]

    assert {len(row["postings"]) for row in rows} == {2}
    assert api_client.delete(reverse("backoffice:journalentry-detail", args=[rows[0]["id"]])).status_code in (403, 405)


def test_exchange_rates_and_conversions(api_client, finance_officer):
    CurrencyFactory(code="EUR")
    CurrencyFactory(code="USD")
    api_client.force_authenticate(finance_officer)

    rate = api_client.post(
        reverse("backoffice:exchangerate-list"), {"from_currency": "EUR", "to_currency": "USD", "rate": "1.1"}
    )
    bad = api_client.post(
        reverse("backoffice:currencyconversion-list"), {"source": "EUR", "target": "USD", "path": "USD>EUR"}
    )
    good = api_client.post(
        reverse("backoffice:currencyconversion-list"), {"source": "EUR", "target": "USD", "path": "EUR>USD"}
    )
    converted = api_client.get(
        reverse("backoffice:exchangerate-convert"), {"source": "EUR", "target": "USD", "amount": "10"}
    )

    assert rate.status_code == 201
    assert bad.status_code == 400
    assert "path" in bad.json()["error"]["fields"]
    assert good.status_code == 201
    assert converted.json()["converted"] == "11.00000000"


def test_pending_queue_filter(api_client, finance_officer):
    txn = withdrawal()
    api_client.force_authenticate(finance_officer)

    rows = api_client.get(TRANSACTIONS, {"awaiting_approval": "true"}).json()["results"]

    assert [row["id"] for row in rows] == [txn.pk]
    assert Transaction.objects.count() == 1
