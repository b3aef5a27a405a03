"""Sales statuses and desks APIs, the public signup-code check, and conversion through events."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.customers import services as customer_services
from crm.sales.models import Lead
from crm.users.models import Desk
from tests.conftest import staff_with_role
from tests.customers.factories import SalesStatusFactory
from tests.sales.factories import DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db

STATUSES = reverse("backoffice:sales-status-list")
DESKS = reverse("backoffice:desk-list")
SIGNUP_CODE = reverse("sales-public:check-signup-code")


def test_sales_status_create_list_get_by_name_and_update(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    created = api_client.post(STATUSES, {"name": "Call back", "color": "#ff0000"})
    by_name = api_client.get(reverse("backoffice:sales-status-by-name", args=["call back"]))
    updated = api_client.patch(
        reverse("backoffice:sales-status-detail", args=[created.json()["id"]]), {"color": "#00ff00"}
    )
    listed = api_client.get(STATUSES)

    assert created.status_code == 201
    assert by_name.json()["name"] == "Call back"
    assert updated.json()["color"] == "#00ff00"
    assert [row["name"] for row in listed.json()["results"]] == ["Call back"]


def test_sales_status_with_a_bad_colour_or_taken_name_is_refused(api_client, sales_manager):
    SalesStatusFactory(name="New")
    api_client.force_authenticate(sales_manager)

    bad_colour = api_client.post(STATUSES, {"name": "Other", "color": "red"})
    taken = api_client.post(STATUSES, {"name": "new"})

    assert (bad_colour.status_code, taken.status_code) == (400, 400)
    assert "color" in bad_colour.json()["error"]["fields"]


def test_agent_may_read_but_not_create_sales_statuses(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)

    assert api_client.get(STATUSES).status_code == 200
    assert api_client.post(STATUSES, {"name": "Mine"}).status_code == 403


def test_desk_create_update_get_list_and_delete(api_client, sales_manager, sales_agent):
    api_client.force_authenticate(sales_manager)

    created = api_client.post(
        DESKS,
        {"name": "German", "desk_type": "retention", "manager_id": sales_manager.pk, "member_ids": [sales_agent.pk]},
    )
    url = reverse("backoffice:desk-detail", args=[created.json()["id"]])
    updated = api_client.patch(url, {"name": "DACH", "member_ids": []})
    fetched = api_client.get(url)
    listed = api_client.get(DESKS)
    deleted = api_client.delete(url)

    assert created.status_code == 201
    assert [p["id"] for p in created.json()["sales_people"]] == [sales_agent.pk]
    assert (updated.json()["name"], updated.json()["sales_people"]) == ("DACH", [])
    assert fetched.json()["manager"]["id"] == sales_manager.pk
    assert listed.json()["count"] == 1
    assert deleted.json() == {"message": "Deleted."}
    assert not Desk.objects.exists()


def test_agent_may_not_change_desks(api_client, sales_agent):
    desk = DeskFactory()
    api_client.force_authenticate(sales_agent)

    assert api_client.get(DESKS).status_code == 200
    assert api_client.patch(reverse("backoffice:desk-detail", args=[desk.pk]), {"name": "X"}).status_code == 403


def test_desk_list_queries_are_flat(api_client, sales_manager, django_assert_num_queries):
    api_client.force_authenticate(sales_manager)
    DeskFactory(members=[staff_with_role("Sales Agent")])
    api_client.get(DESKS)
    with django_assert_num_queries(3):
        api_client.get(DESKS)
    for _ in range(5):
        DeskFactory(members=[staff_with_role("Sales Agent"), staff_with_role("Sales Agent")])
    with django_assert_num_queries(3):
        api_client.get(DESKS)


def test_signup_code_check_needs_no_login(api_client):
    lead = LeadFactory()

    known = api_client.get(SIGNUP_CODE, {"code": lead.signup_code.lower()})
    unknown = api_client.get(SIGNUP_CODE, {"code": "NOPE"})
    missing = api_client.get(SIGNUP_CODE)

    assert known.json() == {"code": lead.signup_code}
    assert (unknown.status_code, missing.status_code) == (404, 400)


def test_used_signup_code_is_no_longer_valid(api_client):
    from tests.customers.factories import CustomerFactory

    lead = LeadFactory(customer=CustomerFactory())

    assert api_client.get(SIGNUP_CODE, {"code": lead.signup_code}).status_code == 404


def test_signup_code_check_is_throttled(api_client):
    for _ in range(30):
        api_client.get(SIGNUP_CODE, {"code": "GUESS"})

    response = api_client.get(SIGNUP_CODE, {"code": "GUESS"})

    assert response.status_code == 429


def test_client_created_in_the_back_office_converts_the_lead(sales_agent, django_capture_on_commit_callbacks):
    lead = LeadFactory(email="new.client@example.com", sales_person=sales_agent, source="google", campaign="x1")

    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_services.create_customer(
            actor=None, first_name="New", last_name="Client", email="new.client@example.com"
        )

    lead.refresh_from_db()
    customer.refresh_from_db()
    assert lead.customer_id == customer.pk
    assert (customer.conversion_agent_id, customer.source, customer.utm_campaign) == (sales_agent.pk, "google", "x1")


def test_portal_registration_event_with_a_signup_code_converts(django_capture_on_commit_callbacks):
    from crm.core.events import emit
    from tests.customers.factories import CustomerFactory

    lead = LeadFactory(email="other@example.com")
    customer = CustomerFactory(email="different@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        emit("customer.registered", customer_id=customer.pk, signup_code=lead.signup_code)

    assert Lead.objects.get(pk=lead.pk).customer_id == customer.pk
