"""Smaller defects of the staff screens (issue 12): log-in without `next`, "Show all" on leads, the Documents tab,
labels, affiliates by name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from crm.customers import services as customer_services
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import CustomerFactory, DocumentFactory, SalesStatusFactory
from tests.sales.factories import LeadFactory
from tests.users.factories import DEFAULT_PASSWORD
from tests.wallets.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def test_admin_login_opened_directly_lands_on_the_dashboard(client, sales_agent):
    page = client.get(reverse("admin:login"))

    assert f'name="next" value="{reverse("admin:index")}"' in page.content.decode()
    response = client.post(
        reverse("admin:login"),
        {"username": sales_agent.email, "password": DEFAULT_PASSWORD, "next": reverse("admin:index")},
    )
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))


def test_admin_login_keeps_the_page_asked_for(client, sales_agent):
    wanted = reverse("admin:customers_customer_changelist")

    page = client.get(reverse("admin:login") + f"?next={wanted}").content.decode()

    assert f'name="next" value="{wanted}"' in page


def test_show_all_on_leads_shows_every_lead_not_my_leads(client, sales_manager, sales_agent):
    LeadFactory(sales_person=sales_agent, last_name="Smith")
    client.force_login(sales_manager)

    searched = client.get(reverse("admin:sales_lead_changelist"), {"q": "Smi"}).content.decode()
    shown = client.get(reverse("admin:sales_lead_changelist") + "?assigned=all")

    assert 'href="?assigned=all">Show all' in searched
    assert shown.context["cl"].result_count == 1


def test_documents_tab_shows_the_status_as_a_word(client, compliance_officer):
    customer = CustomerFactory()
    DocumentFactory(customer=customer, status="approved")
    client.force_login(compliance_officer)

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert "(&#x27;approved&#x27;" not in page
    assert "('approved'" not in page
    assert ">Approved</span>" in page


def test_labels_are_spelled_for_people(client, admin_staff):
    customer = CustomerFactory()
    txn = TransactionFactory(wallet__customer=customer)
    client.force_login(admin_staff)

    client_page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    transaction_page = client.get(reverse("admin:wallets_transaction_change", args=[txn.pk])).content.decode()

    for label in ("KYC status", "Address line 1", "UTM source", "External ID"):
        assert label in client_page
    for wrong in ("Kyc status", "Address line1", "Utm source"):
        assert wrong not in client_page
    assert "FTD" in transaction_page
    assert "Is ftd" not in transaction_page


def test_affiliates_are_shown_by_name():
    affiliate = AffiliateFactory(customer=CustomerFactory(first_name="Ann", last_name="Lee"))

    assert str(affiliate) == f"Ann Lee (IB #{affiliate.pk})"


def test_history_shows_names_and_labels_not_raw_ids(client, admin_staff, sales_agent):
    customer = CustomerFactory()
    status = SalesStatusFactory(name="Hot")
    customer_services.update_customer(
        customer, actor=admin_staff, conversion_agent=sales_agent, sales_status=status, risk_status="high"
    )
    customer_services.log_call(customer, outcome="busy", actor=admin_staff)
    client.force_login(admin_staff)

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert f"Conversion agent: - → {sales_agent}" in page
    assert "Sales status: - → Hot" in page
    assert "Risk status: Low → High" in page
    assert "outcome: busy" in page
    assert "call_id" not in page


def test_transaction_and_wallet_pages_show_amounts_in_one_money_format(client, admin_staff):
    txn = TransactionFactory(amount="1234.5", fee="0.00000001", wallet__balance="0")
    client.force_login(admin_staff)

    listing = client.get(reverse("admin:wallets_transaction_changelist")).content.decode()
    detail = client.get(reverse("admin:wallets_transaction_change", args=[txn.pk])).content.decode()
    wallet = client.get(reverse("admin:wallets_wallet_change", args=[txn.wallet_id])).content.decode()

    assert "1,234.50 USD" in listing
    assert "1,234.50 USD" in detail
    assert "0.00000001 USD" in detail
    assert "0.00 USD" in wallet
    for page in (listing, detail, wallet):
        assert "1234.50000000" not in page
        assert "E-8" not in page


def test_staff_choose_their_time_zone_and_the_admin_shows_times_in_it(client, sales_agent):
    customer = CustomerFactory(
        conversion_agent=sales_agent, registered_at=dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.UTC)
    )
    client.force_login(sales_agent)

    saved = client.post(reverse("admin:users_time_zone"), {"time_zone": "Asia/Dubai"})
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert saved.status_code == 302
    sales_agent.refresh_from_db()
    assert sales_agent.time_zone == "Asia/Dubai"
    assert "Jan. 6, 2026, 3:30 a.m." in page  # 23:30 UTC is 03:30 the next day in Dubai (UTC+4)


def test_an_unknown_time_zone_is_refused(client, sales_agent):
    client.force_login(sales_agent)

    response = client.post(reverse("admin:users_time_zone"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    sales_agent.refresh_from_db()
    assert sales_agent.time_zone == ""
