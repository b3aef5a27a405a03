"""The communication timeline of clients and leads: every channel, newest first, paged, flat in queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.communications import timeline
from crm.communications.models import EmailMessage, PushNotification, TextMessage
from crm.customers.models import Call, Comment
from crm.sales.models import LeadCommunication
from tests.communications.factories import EmailMessageFactory, MessageFactory
from tests.customers.factories import CommentFactory, PortalCustomerFactory
from tests.sales.factories import LeadCommentFactory, LeadFactory

pytestmark = pytest.mark.django_db


def at(minutes: int):
    return timezone.now() - dt.timedelta(minutes=minutes)


def client_history(customer, agent=None):
    """One entry per channel, oldest first: comment, call, message, push (and a text and an email, older still)."""
    TextMessage.objects.create(customer=customer, phone="+447700900123", text="Hi", provider="log", status="sent")
    TextMessage.objects.filter(customer=customer).update(created_at=at(50))
    EmailMessageFactory(customer=customer, subject="Welcome aboard")
    EmailMessage.objects.filter(customer=customer).update(created_at=at(60))
    comment = CommentFactory(customer=customer, body="Prefers email")
    call = Call.objects.create(customer=customer, agent=agent, outcome="answered", note="Interested")
    message = MessageFactory(customer=customer, subject="Welcome")
    push = PushNotification.objects.create(
        user=customer.user, customer=customer, topic="user", payload={"title": "Margin", "body": "Top up"}
    )
    for minutes, row in zip((40, 30, 20, 10), (comment, call, message, push), strict=True):
        type(row).objects.filter(pk=row.pk).update(created_at=at(minutes))
    return comment, call, message, push


def test_customer_timeline_merges_every_channel_newest_first(api_client, sales_agent):
    customer = PortalCustomerFactory(conversion_agent=sales_agent)
    comment, call, message, push = client_history(customer, sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:customer-communications-detail", args=[customer.pk]))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    assert [row["ref"] for row in body["results"]] == [
        f"push:{push.pk}",
        f"message:{message.pk}",
        f"call:{call.pk}",
        f"comment:{comment.pk}",
        f"sms:{TextMessage.objects.get().pk}",
        f"email:{EmailMessage.objects.get().pk}",
    ]
    assert body["results"][0]["subject"] == "Margin"
    assert body["results"][1]["status"] == "unread"
    assert body["results"][2]["by"] == str(sales_agent)


def test_timeline_pages_and_filters_by_channel(api_client, admin_staff):
    customer = PortalCustomerFactory()
    _comment, call, message, _push = client_history(customer)
    api_client.force_authenticate(admin_staff)
    url = reverse("backoffice:customer-communications-detail", args=[customer.pk])

    page = api_client.get(url, {"limit": 2, "offset": 1}).json()
    calls = api_client.get(url, {"channel": ["call", "comment"]}).json()

    assert page["count"] == 6
    assert [row["ref"] for row in page["results"]] == [f"message:{message.pk}", f"call:{call.pk}"]
    assert page["next"] is not None
    assert [row["channel"] for row in calls["results"]] == ["call", "comment"]


def test_another_agents_client_timeline_answers_404(api_client, sales_agent):
    customer = PortalCustomerFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:customer-communications-detail", args=[customer.pk]))

    assert response.status_code == 404


def test_timeline_queries_do_not_grow_with_history(api_client, admin_staff):
    customer = PortalCustomerFactory()
    client_history(customer)
    api_client.force_authenticate(admin_staff)
    url = reverse("backoffice:customer-communications-detail", args=[customer.pk])
    api_client.get(url)
    with CaptureQueriesContext(connection) as few:
        api_client.get(url)

    for _ in range(5):
        client_history(customer)
    with CaptureQueriesContext(connection) as many:
        response = api_client.get(url)

    assert response.json()["count"] == 36
    # The client, then per channel: the count for the page total, the count and the newest rows for the merge.
    assert len(many) == len(few) == 1 + 3 * len(timeline.customer_channels())


def test_lead_timeline_shows_comments_and_communications(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    comment = LeadCommentFactory(lead=lead, body="Call back Monday")
    email = LeadCommunication.objects.create(lead=lead, channel="email", staff=sales_agent, subject="Offer")
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:lead-communications-detail", args=[lead.pk]))

    assert response.status_code == 200
    refs = {row["ref"] for row in response.json()["results"]}
    assert refs == {f"lead-comment:{comment.pk}", f"lead-communication:{email.pk}"}


def test_another_agents_lead_timeline_answers_404(api_client, sales_agent):
    lead = LeadFactory()
    api_client.force_authenticate(sales_agent)

    assert api_client.get(reverse("backoffice:lead-communications-detail", args=[lead.pk])).status_code == 404


def test_a_registered_source_joins_the_timeline(admin_staff):
    customer = PortalCustomerFactory()
    CommentFactory(customer=customer)
    sent = timeline.TimelineEntry(timezone.now(), "chat", "out", "delivered", "Hi", "", "", "chat:1")

    timeline.register_source("chat", customer=lambda subject, count: ([sent][:count], 1))
    try:
        entries = timeline.customer_timeline(customer)[:10]
    finally:
        timeline._customer_sources.pop("chat")

    assert [entry.channel for entry in entries] == ["chat", "comment"]


def test_client_page_shows_the_communications(client, admin_staff):
    customer = PortalCustomerFactory()
    client_history(customer)
    Comment.objects.filter(customer=customer).update(body="Prefers email")
    client.force_login(admin_staff)

    response = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))

    assert response.status_code == 200
    assert 'data-timeline="communications"' in response.content.decode()
    assert "Prefers email" in response.content.decode()


def test_lead_page_shows_the_communications(client, admin_staff):
    lead = LeadFactory()
    LeadCommentFactory(lead=lead, body="Asked for a demo account")
    client.force_login(admin_staff)

    response = client.get(reverse("admin:sales_lead_change", args=[lead.pk]))

    assert response.status_code == 200
    assert "Asked for a demo account" in response.content.decode()


def test_client_timeline_shows_the_emails_the_client_was_sent(api_client, admin_staff):
    from crm.communications.models import EmailTemplate
    from tests.communications.factories import EmailTemplateFactory

    customer = PortalCustomerFactory()
    sent = EmailMessageFactory(customer=customer, subject="Deposit received", status="delivered")
    EmailMessageFactory(customer=customer, subject="Test", is_test=True)
    staff_alert = EmailTemplateFactory(recipient=EmailTemplate.Recipient.STAFF)
    EmailMessageFactory(customer=customer, template=staff_alert, subject="New withdrawal to review")
    api_client.force_authenticate(admin_staff)

    response = api_client.get(
        reverse("backoffice:customer-communications-detail", args=[customer.pk]), {"channel": "email"}
    )

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["ref"], row["subject"], row["status"]) for row in rows] == [
        (f"email:{sent.pk}", "Deposit received", "delivered")
    ]
