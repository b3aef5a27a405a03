"""The clients changelist: scope, search, filters, masking, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.customers.models import ClientGroup, ClientRole, Customer
from crm.customers.privacy import mask_phone
from tests.conftest import staff_with_role
from tests.customers.factories import ClientGroupFactory, CustomerFactory, SalesStatusFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:customers_customer_changelist")


def shown(response) -> set[int]:
    assert response.status_code == 200
    return {customer.pk for customer in response.context["cl"].result_list}


def changelist_queries(client, user, params: dict | None = None) -> int:
    client.force_login(user)
    client.get(CHANGELIST, params or {})  # warms what pages keep (the filters' choices, cached for a minute)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role_fixture", ["sales_manager", "sales_agent"])
def test_changelist_query_count_is_flat(client, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    status = SalesStatusFactory()
    agent = staff_with_role("Retention Agent")
    CustomerFactory.create_batch(3, conversion_agent=user, retention_agent=agent, sales_status=status)
    few = changelist_queries(client, user)

    CustomerFactory.create_batch(37, conversion_agent=user, retention_agent=agent, sales_status=status)
    many = changelist_queries(client, user)

    assert many == few


def test_changelist_query_count_is_flat_with_search_and_filters(client, sales_manager):
    CustomerFactory.create_batch(3, last_name="Smith", kyc_status="pending")
    params = {"q": "smi", "kyc_status__exact": "pending", "has_ftd": "no"}
    few = changelist_queries(client, sales_manager, params)

    CustomerFactory.create_batch(37, last_name="Smith", kyc_status="pending")
    many = changelist_queries(client, sales_manager, params)

    assert many == few


def test_changelist_does_not_count_the_whole_table(client, sales_manager):
    CustomerFactory.create_batch(2)
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, {"q": "client"})

    assert response.context["cl"].show_full_result_count is False


@pytest.mark.parametrize(
    ("term_case", "term"),
    [
        ("email_prefix", "ann.lee@"),
        ("email_prefix_case", "ANN.LEE"),
        ("last_name_prefix", "leeds"),
        ("first_and_last", "ann lee"),
        ("phone_prefix", "+44770090012"),
        ("phone_digits", "44770090012"),
    ],
)
def test_search_finds_client(client, sales_manager, term_case, term):
    wanted = CustomerFactory(first_name="Ann", last_name="Leeds", email="ann.lee@example.com", phone="+447700900123")
    CustomerFactory(first_name="Bob", last_name="Brown", email="bob@example.com", phone="+33612345678")
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, {"q": term})

    assert shown(response) == {wanted.pk}


def test_search_by_id_is_exact(client, sales_manager):
    customers = CustomerFactory.create_batch(3)
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, {"q": str(customers[1].pk)})

    assert shown(response) == {customers[1].pk}


def test_search_is_a_prefix_search_not_contains(client, sales_manager):
    CustomerFactory(last_name="Tomlinson", email="tom@example.com")
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, {"q": "linson"})

    assert shown(response) == set()


def _filter_cases():
    now = timezone.now()
    return [
        ("status", {"status": "banned"}, {"status__exact": "banned"}),
        ("kyc_status", {"kyc_status": "approved"}, {"kyc_status__exact": "approved"}),
        ("country", {"country": "DE"}, {"country__exact": "DE"}),
        ("risk_status", {"risk_status": "high"}, {"risk_status__exact": "high"}),
        ("source", {"source": "google"}, {"source": "google"}),
        ("has_ftd", {"first_deposit_at": now}, {"has_ftd": "yes"}),
        ("deposit_bucket", {"deposit_count": 3}, {"deposits": "2-4"}),
        ("activity", {"last_activity_at": now - dt.timedelta(days=2)}, {"activity": "7d"}),
        ("open_positions", {"open_positions_count": 2}, {"open_positions": "yes"}),
        (
            "registered_range",
            {"registered_at": now - dt.timedelta(days=400)},
            {
                "registered_at_from": (now - dt.timedelta(days=401)).date().isoformat(),
                "registered_at_to": (now - dt.timedelta(days=399)).date().isoformat(),
            },
        ),
        (
            "last_activity_range",
            {"last_activity_at": now - dt.timedelta(days=100)},
            {"last_activity_at_from": (now - dt.timedelta(days=100)).date().isoformat()},
        ),
    ]


@pytest.mark.parametrize(("filter_case", "values", "params"), _filter_cases())
def test_filter_narrows_the_list(client, sales_manager, filter_case, values, params):
    wanted = CustomerFactory(**values)
    CustomerFactory(last_activity_at=None, registered_at=timezone.now())
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, params)

    assert shown(response) == {wanted.pk}


def test_relation_filters_narrow_the_list(client, sales_manager):
    group = ClientGroupFactory(name="VIP")
    role = ClientRole.objects.get_or_create(name="affiliate")[0]
    status = SalesStatusFactory(name="Hot")
    agent = staff_with_role("Sales Agent")
    introducer = CustomerFactory()
    wanted = CustomerFactory(sales_status=status, conversion_agent=agent, retention_agent=agent, introducer=introducer)
    wanted.groups.add(group)
    wanted.roles.add(role)
    client.force_login(sales_manager)

    for params in (
        {"group": str(group.pk)},
        {"role": str(role.pk)},
        {"sales_status__id__exact": str(status.pk)},
        {"conversion_agent__id__exact": str(agent.pk)},
        {"retention_agent__id__exact": str(agent.pk)},
        {"introducer__id__exact": str(introducer.pk)},
    ):
        assert shown(client.get(CHANGELIST, params)) == {wanted.pk}, params
    assert ClientGroup.objects.count() == 1


def test_bookmark_filter_shows_my_bookmarks(client, sales_manager):
    kept, _other = CustomerFactory.create_batch(2)
    kept.bookmarks.create(user=sales_manager)
    client.force_login(sales_manager)

    response = client.get(CHANGELIST, {"bookmarked": "me"})

    assert shown(response) == {kept.pk}


def test_agent_sees_only_own_clients(client, sales_agent, other_sales_agent):
    mine = CustomerFactory(conversion_agent=sales_agent)
    retained = CustomerFactory(retention_agent=sales_agent)
    CustomerFactory(conversion_agent=other_sales_agent)
    client.force_login(sales_agent)

    response = client.get(CHANGELIST)

    assert shown(response) == {mine.pk, retained.pk}


def test_agent_cannot_open_another_agents_client(client, sales_agent, other_sales_agent):
    theirs = CustomerFactory(conversion_agent=other_sales_agent, first_name="Hidden")
    client.force_login(sales_agent)

    response = client.get(reverse("admin:customers_customer_change", args=[theirs.pk]), follow=True)

    assert b"Hidden" not in response.content
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "exist" in next(str(message) for message in response.context["messages"])


def test_agent_cannot_change_another_agents_client(client, sales_agent, other_sales_agent):
    theirs = CustomerFactory(conversion_agent=other_sales_agent, first_name="Kept")
    client.force_login(sales_agent)

    client.post(reverse("admin:customers_customer_change", args=[theirs.pk]), {"first_name": "Changed"})

    theirs.refresh_from_db()
    assert theirs.first_name == "Kept"


def test_agent_sees_masked_email_and_phone(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, email="jane.doe@example.com", phone="+447700900555")
    client.force_login(sales_agent)

    listing = client.get(CHANGELIST).content.decode()
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    for html in (listing, page):
        assert "jane.doe@example.com" not in html
        assert "+447700900555" not in html
    assert "j*******@*******.com" in listing
    assert mask_phone("+447700900555") in listing


def test_compliance_sees_full_email_and_phone(client, compliance_officer):
    CustomerFactory(email="jane.doe@example.com", phone="+447700900555")
    client.force_login(compliance_officer)

    listing = client.get(CHANGELIST).content.decode()

    assert "jane.doe@example.com" in listing
    assert "+447700900555" in listing


def test_list_shows_statuses_and_sales_status_colour(client, sales_manager):
    CustomerFactory(kyc_status="approved", sales_status=SalesStatusFactory(name="Hot lead", color="#ff0000"))
    client.force_login(sales_manager)

    html = client.get(CHANGELIST).content.decode()

    assert "Hot lead" in html
    assert "#ff0000" in html
    assert "Approved" in html


def test_export_button_is_offered_to_exporters_only(client, sales_manager, sales_agent):
    CustomerFactory(conversion_agent=sales_agent)
    export_url = reverse("admin:customers_customer_export_xlsx")

    client.force_login(sales_manager)
    manager_html = client.get(CHANGELIST).content.decode()
    client.force_login(sales_agent)
    agent_html = client.get(CHANGELIST).content.decode()

    assert export_url in manager_html
    assert export_url not in agent_html


def test_customers_are_never_deleted_from_the_admin(client, admin_staff):
    customer = CustomerFactory()
    client.force_login(admin_staff)

    response = client.post(reverse("admin:customers_customer_delete", args=[customer.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_country_column_shows_the_name_in_the_staff_members_language(client, sales_manager):
    from django.contrib import admin
    from django.utils import translation
    from django_countries import countries

    model_admin = admin.site._registry[Customer]
    german, french = CustomerFactory(country="DE"), CustomerFactory(country="FR")
    names = {}
    for language in ("en", "es", "en"):
        with translation.override(language):
            names.setdefault(language, []).append([model_admin.country_name(german), model_admin.country_name(french)])
            expected = [str(countries.name("DE")), str(countries.name("FR"))]
        assert names[language][-1] == expected
    assert names["en"][0] == ["Germany", "France"]
    assert names["es"][0] == ["Alemania", "Francia"]
    assert model_admin.country_name(CustomerFactory(country="")) == "-"


def test_kept_colour_badges_are_the_badges_built_each_time():
    from django.utils.safestring import mark_safe

    from crm.customers.admin.helpers import _colour_badge, colour_badge

    for text, colour in (("New", "#22c55e"), ("<b>Hot</b>", "#ef4444"), ("Lost", None), ("Odd", "red;x")):
        assert colour_badge(text, colour) == _colour_badge(text, colour)
        assert colour_badge(text, colour) is colour_badge(text, colour)  # kept
    safe = mark_safe("<i>Safe</i>")
    assert colour_badge(safe, "#22c55e") == _colour_badge(safe, "#22c55e")
    assert "<i>Safe</i>" in colour_badge(safe, "#22c55e")
    assert "&lt;b&gt;Hot&lt;/b&gt;" in colour_badge("<b>Hot</b>", "#ef4444")
