"""The admin home page (KPI cards and charts in the user's scope) and the sidebar by role."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from crm.core.admin_nav import navigation
from crm.reports.dashboard import client_dashboard
from tests.customers.factories import CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


@pytest.mark.parametrize(
    "role_fixture",
    [
        "admin_staff",
        "sales_manager",
        "sales_agent",
        "retention_agent",
        "compliance_officer",
        "finance_officer",
        "support_agent",
    ],
)
def test_dashboard_renders_for_each_role(client, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    CustomerFactory(conversion_agent=user, kyc_status="pending", country="DE")
    client.force_login(user)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert "period_charts" in response.context
    assert 'class="chart"' in response.content.decode()


def test_dashboard_counts_only_the_agents_clients(sales_agent, other_sales_agent):
    CustomerFactory.create_batch(2, conversion_agent=sales_agent, kyc_status="pending", country="DE")
    CustomerFactory.create_batch(3, conversion_agent=other_sales_agent, country="FR")

    data = client_dashboard(sales_agent)

    cards = {str(card["title"]): card["value"] for card in data["kpis"]}
    assert cards["Clients"] == 2
    assert cards["My clients"] == 2
    assert cards["Waiting for KYC review"] == 2
    assert json.loads(data["chart_countries"])["labels"] == ["Germany"]


def test_dashboard_shows_pending_documents_to_compliance(compliance_officer):
    DocumentFactory.create_batch(2)
    DocumentFactory(status="approved")

    cards = {str(card["title"]): card["value"] for card in client_dashboard(compliance_officer)["kpis"]}

    assert cards["KYC documents to review"] == 2


def test_dashboard_runs_a_fixed_number_of_queries(sales_manager):
    CustomerFactory.create_batch(3, country="DE")
    client_dashboard(sales_manager)  # loads the user's permissions once
    with CaptureQueriesContext(connection) as few:
        client_dashboard(sales_manager)
    CustomerFactory.create_batch(30, country="FR")
    DocumentFactory.create_batch(3)
    with CaptureQueriesContext(connection) as many:
        client_dashboard(sales_manager)

    # The rollup state (PostgreSQL only), one aggregate of the clients (per KYC status and country), one of the
    # documents.
    assert len(few) == len(many) == (3 if connection.vendor == "postgresql" else 2)


def test_chart_js_is_served_locally(client, admin_staff):
    client.force_login(admin_staff)

    html = client.get(INDEX).content.decode()

    assert "/static/unfold/js/chart/chart.js" in html
    assert "cdn" not in html.lower()


def sidebar_titles(client, user) -> set[str]:
    client.force_login(user)
    response = client.get(INDEX)
    titles = set()
    for section in response.context["sidebar_navigation"]:
        titles |= {str(item["title"]) for item in section["items"] if item["has_permission"]}
    return titles


def test_sales_agent_sidebar_hides_settings_tokens_and_staff(client, sales_agent):
    titles = sidebar_titles(client, sales_agent)

    assert "Clients" in titles
    assert not titles & {"Settings", "API tokens", "Staff", "Roles", "Event outbox"}


def test_compliance_sidebar_shows_kyc_documents(client, compliance_officer):
    assert "KYC documents" in sidebar_titles(client, compliance_officer)


def test_admin_sidebar_shows_everything(client, admin_staff):
    titles = sidebar_titles(client, admin_staff)

    assert {"Clients", "KYC documents", "Settings", "API tokens", "Staff"} <= titles


def test_every_sidebar_link_is_an_admin_page():
    broken = []
    for section in navigation:
        for item in section["items"]:
            try:
                str(item["link"]) if not callable(item["link"]) else None
            except NoReverseMatch:
                broken.append(str(item["title"]))

    assert broken == []


def test_pending_documents_of_a_view_all_holder_are_counted_without_reading_every_client(
    compliance_officer, sales_agent
):
    DocumentFactory.create_batch(2)
    DocumentFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    client_dashboard(compliance_officer)  # loads the user's permissions once

    with CaptureQueriesContext(connection) as queries:
        cards = {str(card["title"]): card["value"] for card in client_dashboard(compliance_officer)["kpis"]}

    assert cards["KYC documents to review"] == 3
    documents = [query["sql"] for query in queries if "customers_document" in query["sql"]]
    assert len(documents) == 1
    assert "customers_customer" not in documents[0]
