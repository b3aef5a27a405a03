"""Money admin: changelists (flat queries, scoping), Finance dialogs, read-only ledger, statement page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.roles import Role
from crm.wallets import services
from crm.wallets.models import Transaction
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import CurrencyFactory, WalletFactory
from tests.wallets.helpers import admin_statement_period, fund, state

pytestmark = pytest.mark.django_db


def withdrawal(amount="40.00"):
    wallet = fund(WalletFactory(), "100.00")
    return services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal(amount), actor=None)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:wallets_wallet_changelist",
        "admin:wallets_transaction_changelist",
        "admin:wallets_journalentry_changelist",
        "admin:wallets_posting_changelist",
        "admin:payments_webhookevent_changelist",
        "admin:payments_paymentmethod_changelist",
        "admin:payments_whitelistedaddress_changelist",
        "admin:wallets_currency_changelist",
        "admin:wallets_exchangerate_changelist",
    ],
)
def test_changelist_queries_are_flat(client, finance_officer, url_name, django_assert_max_num_queries):
    client.force_login(finance_officer)
    withdrawal()
    client.get(reverse(url_name))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(8):
        withdrawal()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(url_name))

    assert len(many) == len(few)


def test_agent_sees_only_own_clients_wallets(client, sales_agent):
    own = WalletFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    other = WalletFactory()
    client.force_login(sales_agent)

    response = client.get(reverse("admin:wallets_wallet_changelist"))

    shown = {w.pk for w in response.context["cl"].result_list}
    assert shown == {own.pk}
    assert client.get(reverse("admin:wallets_wallet_change", args=[other.pk])).status_code in (302, 404)


def test_approve_dialog_approves_with_changed_amount(client, finance_officer):
    txn = withdrawal()
    client.force_login(finance_officer)

    client.post(
        reverse("admin:wallets_transaction_approve", args=[txn.pk]),
        {"_form_submitted": "True", "changed_amount": "30", "comment": "ok"},
    )

    txn.refresh_from_db()
    assert (txn.status, txn.amount, txn.approved_by) == ("approved", Decimal("30.00000000"), finance_officer)


def test_reject_dialog_releases_the_hold(client, finance_officer):
    txn = withdrawal()
    client.force_login(finance_officer)

    client.post(
        reverse("admin:wallets_transaction_reject", args=[txn.pk]), {"_form_submitted": "True", "reason": "KYC"}
    )

    txn.refresh_from_db()
    txn.wallet.refresh_from_db()
    assert txn.status == "rejected"
    assert txn.wallet.balance == Decimal("100.00")


def test_refused_approval_shows_the_error_and_changes_nothing(client, finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    txn = services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("5"), actor=finance_officer)
    client.force_login(finance_officer)
    before = state(wallet)

    response = client.post(
        reverse("admin:wallets_transaction_approve", args=[txn.pk]), {"_form_submitted": "True"}, follow=True
    )

    assert state(wallet) == before
    assert any("another member of Finance" in str(m) for m in response.context["messages"])


def test_support_cannot_approve(client, support_agent):
    txn = withdrawal()
    client.force_login(support_agent)

    client.post(reverse("admin:wallets_transaction_approve", args=[txn.pk]), {"_form_submitted": "True"})

    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_ledger_is_read_only_in_the_admin(client, admin_user):
    txn = withdrawal()
    entry = txn.entries.get()
    client.force_login(admin_user)

    page = client.get(reverse("admin:wallets_journalentry_change", args=[entry.pk]))
    delete = client.post(reverse("admin:wallets_journalentry_delete", args=[entry.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert delete.status_code == 403
    assert txn.entries.count() == 1


def test_movement_dialog_enters_a_bonus(client, finance_officer):
    wallet = WalletFactory()
    client.force_login(finance_officer)

    client.post(
        reverse("admin:wallets_wallet_enter_movement", args=[wallet.pk]),
        {"_form_submitted": "True", "type": "BONUS", "amount": "15", "add_to_credit": "on", "comment": "promo"},
    )

    wallet.refresh_from_db()
    assert wallet.credit == Decimal("15.00")


def test_movement_dialog_refuses_a_withdrawal_from_a_system_account(client):
    account = services.system_account("psp_clearing", CurrencyFactory())
    client.force_login(staff_with_role(Role.ADMIN))

    response = client.post(
        reverse("admin:wallets_wallet_enter_movement", args=[account.pk]),
        {"_form_submitted": "True", "type": "WITHDRAWAL", "amount": "5", "comment": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert "A system account has no client to withdraw for." in response.content.decode()
    assert not Transaction.objects.filter(wallet=account).exists()


def test_wallet_page_and_group_change_through_the_service(client, finance_officer):
    txn = withdrawal()
    client.force_login(finance_officer)
    url = reverse("admin:wallets_wallet_change", args=[txn.wallet_id])

    page = client.get(url)
    response = client.post(
        url,
        {
            "caption": "Main",
            "leverage": "",
            "can_deposit": "on",
            "can_transfer": "on",
            "postings-TOTAL_FORMS": "0",
            "postings-INITIAL_FORMS": "0",
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302
    txn.wallet.refresh_from_db()
    assert (txn.wallet.caption, txn.wallet.can_withdraw) == ("Main", False)


def test_statement_page_and_xlsx(client, finance_officer):
    wallet = fund(WalletFactory(), "100.00")
    client.force_login(finance_officer)
    params = admin_statement_period()
    url = reverse("admin:wallets_wallet_statement", args=[wallet.pk])

    page = client.get(url, params)
    xlsx = client.get(url, {**params, "format": "xlsx"})

    assert page.context["statement"].closing_balance == Decimal("100.00")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
