"""Fields kept current: `last_activity_at` by log-ins and portal actions (a write a minute at most),
`last_contact_at` by a staff comment, a logged call or an email by staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from crm.core.models import Activity
from crm.customers import services
from crm.customers.models import Call, Customer
from crm.users import security
from tests.customers.factories import CustomerFactory, PortalCustomerFactory, bearer
from tests.customers.portal import url
from tests.users.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = url("account-profile")
LOG_IN = url("auth-log-in")


def calls_url(customer: Customer) -> str:
    return f"/api/v1/backoffice/customers/{customer.pk}/calls/"


# Last activity --------------------------------------------------------------------------


def test_portal_log_in_stamps_last_login_and_last_activity(api_client):
    customer = PortalCustomerFactory()

    response = api_client.post(LOG_IN, {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.last_activity_at == customer.last_login_at
    assert customer.last_activity_at is not None


def test_portal_requests_stamp_last_activity_at_most_once_a_minute(api_client, django_assert_num_queries):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    api_client.get(PROFILE)
    customer.refresh_from_db()
    first = customer.last_activity_at
    api_client.get(PROFILE)
    customer.refresh_from_db()

    assert first is not None
    assert customer.last_activity_at == first


def test_a_stamp_older_than_a_minute_moves_on_the_next_request(api_client):
    customer = PortalCustomerFactory(last_activity_at=timezone.now() - dt.timedelta(minutes=5))
    bearer(api_client, customer)

    api_client.get(PROFILE)

    customer.refresh_from_db()
    assert customer.last_activity_at > timezone.now() - dt.timedelta(minutes=1)


def test_the_update_writes_no_stamp_younger_than_a_minute_even_without_the_cache():
    recent = timezone.now() - dt.timedelta(seconds=20)
    customer = PortalCustomerFactory(last_activity_at=recent)
    cache.clear()

    written = services.record_client_activity(customer.user_id)

    customer.refresh_from_db()
    assert (written, customer.last_activity_at) == (False, recent)


def test_a_staff_member_logged_in_as_the_client_is_not_client_activity(api_client, admin_staff):
    customer = PortalCustomerFactory()
    token = security.impersonation_token(customer.user, staff=admin_staff)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(PROFILE)

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.last_activity_at is None


def test_refused_portal_requests_are_not_activity(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    api_client.get(url("document-detail", 999999))

    customer.refresh_from_db()
    assert customer.last_activity_at is None


# Last contact ---------------------------------------------------------------------------


def test_agent_logs_a_call_through_the_api(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        calls_url(customer), {"outcome": "callback", "note": "Call back on Monday"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["outcome"], body["note"], body["agent"]["id"]) == ("callback", "Call back on Monday", sales_agent.pk)
    call = Call.objects.get()
    customer.refresh_from_db()
    assert customer.last_contact_at == call.created_at
    history = api_client.get(f"/api/v1/backoffice/customers/{customer.pk}/history/").json()["results"]
    assert history[0]["action"] == "customer.call_logged"
    assert history[0]["data"]["outcome"] == "callback"
    assert api_client.get(calls_url(customer)).json()["results"][0]["id"] == call.pk


def test_a_call_with_an_unknown_outcome_is_a_field_error(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(calls_url(customer), {"outcome": "great"}, format="json")

    assert response.status_code == 400
    assert "outcome" in response.json()["error"]["fields"]
    assert not Call.objects.exists()


def test_agent_cannot_log_a_call_with_another_agents_client(api_client, sales_agent, other_sales_agent):
    customer = CustomerFactory(conversion_agent=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(calls_url(customer), {"outcome": "answered"}, format="json")

    assert response.status_code == 404
    assert not Call.objects.exists()


def test_call_list_queries_do_not_grow_with_rows(api_client, sales_manager, django_assert_num_queries):
    customer = CustomerFactory()
    api_client.force_authenticate(sales_manager)
    for _ in range(2):
        services.log_call(customer, outcome="busy", actor=sales_manager)
    api_client.get(calls_url(customer))  # the caller's permissions are cached on it from now on
    with django_assert_num_queries(3):  # the client, COUNT, one page with agents
        api_client.get(calls_url(customer))
    for _ in range(6):
        services.log_call(customer, outcome="busy", actor=sales_manager)

    with django_assert_num_queries(3):
        api_client.get(calls_url(customer))


def test_agent_logs_a_call_from_the_client_page(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:customers_customer_log_call_action", args=[customer.pk]),
        {"_form_submitted": "True", "outcome": "no_answer", "note": "Rang twice"},
        follow=True,
    )

    assert response.status_code == 200
    call = Call.objects.get()
    assert (call.customer, call.agent, call.outcome, call.note) == (customer, sales_agent, "no_answer", "Rang twice")
    customer.refresh_from_db()
    assert customer.last_contact_at == call.created_at
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "Rang twice" in page


def test_staff_email_reaches_the_client_and_stamps_the_contact(
    api_client, sales_agent, django_capture_on_commit_callbacks
):
    from crm.communications.models import EmailMessage

    customer = CustomerFactory(conversion_agent=sales_agent, email="ann@example.com")
    api_client.force_authenticate(sales_agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/backoffice/customers/{customer.pk}/email/",
            {"subject": "Your account", "body": "Hello Ann"},
            format="json",
        )

    assert response.status_code == 200
    assert [(m.to, m.subject, m.body, m.reply_to) for m in mail.outbox] == [
        (["ann@example.com"], "Your account", "Hello Ann", [sales_agent.email])
    ]
    logged = EmailMessage.objects.get()
    assert (logged.customer, logged.trigger, logged.status) == (customer, "customer.emailed", "sent")
    customer.refresh_from_db()
    activity = Activity.objects.get(action="customer.emailed")
    assert customer.last_contact_at == activity.created_at


def test_staff_comment_stamps_the_last_contact(sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)

    comment = services.add_comment(customer, body="Prefers email", actor=sales_agent)

    customer.refresh_from_db()
    assert customer.last_contact_at == comment.created_at
