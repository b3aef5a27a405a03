"""Messages admin: scoped, flat changelists; a group message sent from the add form through the service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.communications.models import GroupMessage, Message
from tests.communications.factories import GroupMessageFactory, MessageFactory
from tests.customers.factories import PortalCustomerFactory

pytestmark = pytest.mark.django_db


def queries(client, user, url) -> tuple[int, object]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def test_message_changelist_is_scoped_and_flat(client, sales_agent):
    url = reverse("admin:communications_message_changelist")
    own = PortalCustomerFactory(conversion_agent=sales_agent)
    MessageFactory.create_batch(2, customer=own)
    MessageFactory()
    few, response = queries(client, sales_agent, url)
    assert {m.customer_id for m in response.context["cl"].result_list} == {own.pk}

    MessageFactory.create_batch(20, customer=own)
    many, _ = queries(client, sales_agent, url)

    assert many == few


def test_group_message_changelist_is_flat(client, admin_staff):
    url = reverse("admin:communications_groupmessage_changelist")
    GroupMessageFactory.create_batch(2)
    few, _ = queries(client, admin_staff, url)

    GroupMessageFactory.create_batch(20)
    many, _ = queries(client, admin_staff, url)

    assert many == few


def test_admin_sends_a_message_to_chosen_clients(client, sales_agent):
    first, second = PortalCustomerFactory.create_batch(2, conversion_agent=sales_agent)
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:communications_groupmessage_add"),
        {
            "audience": "customers",
            "customer_ids": f"{first.pk}, {second.pk}",
            "type": "message",
            "subject": "Hello",
            "text": "Rates changed",
        },
    )

    assert response.status_code == 302
    group = GroupMessage.objects.get()
    assert (group.recipient_count, group.sender) == (2, sales_agent)
    assert Message.objects.filter(group_message=group).count() == 2


def test_admin_form_shows_the_services_refusal_on_the_field(client, sales_agent):
    foreign = PortalCustomerFactory()
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:communications_groupmessage_add"),
        {"audience": "customers", "customer_ids": str(foreign.pk), "type": "message", "subject": "x", "text": "y"},
    )

    assert response.status_code == 200
    assert str(foreign.pk) in str(response.context["adminform"].form.errors)
    assert not GroupMessage.objects.exists()
