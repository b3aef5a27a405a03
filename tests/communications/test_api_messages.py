"""Messages: staff send to one client, chosen clients, all, a group (back office); the portal inbox."""

import pytest
from django.urls import reverse, reverse_lazy

from crm.communications.models import GroupMessage, Message
from crm.core.models import Activity
from crm.customers.models import Customer
from crm.users.models import User
from tests.communications.factories import GroupMessageFactory, MessageFactory
from tests.customers.factories import ClientGroupFactory, PortalCustomerFactory, bearer

pytestmark = pytest.mark.django_db
MESSAGES = reverse_lazy("backoffice:message-list")
GROUP_MESSAGES = reverse_lazy("backoffice:group-message-list")
INBOX = reverse_lazy("portal:message-list")
UNREAD = reverse_lazy("portal:message-unread-count")


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_agent_sends_a_message_to_own_client(api_client, sales_agent):
    customer = PortalCustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        MESSAGES, {"customer_id": customer.pk, "subject": "Hi", "text": "Welcome aboard"}, format="json"
    )

    assert response.status_code == 201
    message = Message.objects.get()
    assert (message.customer, message.sender, message.subject) == (customer, sales_agent, "Hi")
    assert message.via_push is False
    assert response.json()["id"] == message.pk
    customer.refresh_from_db()
    assert customer.last_contact_at == message.created_at
    assert Activity.objects.filter(action="customer.messaged", target_id=str(customer.pk)).count() == 1


def test_agent_cannot_message_another_agents_client(api_client, sales_agent, other_sales_agent):
    customer = PortalCustomerFactory(conversion_agent=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(MESSAGES, {"customer_id": customer.pk, "subject": "Hi", "text": "x"}, format="json")

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_message_needs_subject_and_text(api_client, admin_staff):
    customer = PortalCustomerFactory()
    api_client.force_authenticate(admin_staff)

    response = api_client.post(MESSAGES, {"customer_id": customer.pk, "subject": " ", "type": "fax"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"subject", "text", "type"}
    assert not Message.objects.exists()


def test_staff_without_permission_cannot_send(api_client, finance_officer):
    customer = PortalCustomerFactory()
    api_client.force_authenticate(finance_officer)

    response = api_client.post(MESSAGES, {"customer_id": customer.pk, "subject": "Hi", "text": "x"}, format="json")

    assert response.status_code == 403


def test_anonymous_cannot_list_messages(api_client):
    assert api_client.get(MESSAGES).status_code == 401


def test_message_list_is_scoped_and_flat(api_client, sales_agent, django_assert_num_queries):
    own = MessageFactory(customer=PortalCustomerFactory(conversion_agent=sales_agent))
    MessageFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(MESSAGES)

    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    MessageFactory.create_batch(3, customer=own.customer)
    agent = fresh(sales_agent)
    api_client.force_authenticate(agent)
    with django_assert_num_queries(4):  # permissions (1), the desks the agent manages, count, page
        api_client.get(MESSAGES)
    MessageFactory.create_batch(20, customer=own.customer)
    agent = fresh(sales_agent)
    api_client.force_authenticate(agent)
    with django_assert_num_queries(4):
        response = api_client.get(MESSAGES)
    assert response.json()["count"] == 24


def test_another_agents_message_answers_404(api_client, sales_agent):
    message = MessageFactory()
    api_client.force_authenticate(sales_agent)

    assert api_client.get(reverse("backoffice:message-detail", args=[message.pk])).status_code == 404


def test_message_list_filters_by_client_and_unread(api_client, admin_staff):
    read = MessageFactory()
    read.read_at = read.created_at
    read.save()
    unread = MessageFactory(customer=read.customer)
    MessageFactory()
    api_client.force_authenticate(admin_staff)

    response = api_client.get(MESSAGES, {"customer_id": read.customer_id, "unread": "true"})

    assert [row["id"] for row in response.json()["results"]] == [unread.pk]


def test_message_to_chosen_clients_reaches_each(api_client, sales_agent):
    first, second = PortalCustomerFactory.create_batch(2, conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        GROUP_MESSAGES,
        {"audience": "customers", "customer_ids": [first.pk, second.pk], "subject": "News", "text": "Rates"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["recipient_count"] == 2
    group = GroupMessage.objects.get()
    assert sorted(group.messages.values_list("customer_id", flat=True)) == sorted([first.pk, second.pk])


def test_chosen_clients_the_agent_may_not_see_are_a_field_error(api_client, sales_agent):
    own = PortalCustomerFactory(conversion_agent=sales_agent)
    foreign = PortalCustomerFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        GROUP_MESSAGES,
        {"audience": "customers", "customer_ids": [own.pk, foreign.pk], "subject": "News", "text": "Rates"},
        format="json",
    )

    assert response.status_code == 400
    assert str(foreign.pk) in response.json()["error"]["fields"]["customer_ids"][0]
    assert not GroupMessage.objects.exists()
    assert not Message.objects.exists()


def test_message_to_all_reaches_the_clients_the_sender_sees(api_client, sales_agent, admin_staff):
    own = PortalCustomerFactory(conversion_agent=sales_agent)
    PortalCustomerFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.post(GROUP_MESSAGES, {"audience": "all", "subject": "News", "text": "Rates"}, format="json")

    assert response.json()["recipient_count"] == 1
    assert list(Message.objects.values_list("customer_id", flat=True)) == [own.pk]
    api_client.force_authenticate(admin_staff)
    response = api_client.post(GROUP_MESSAGES, {"audience": "all", "subject": "News", "text": "Rates"}, format="json")
    assert response.json()["recipient_count"] == Customer.objects.count()


def test_message_to_a_group_reaches_its_members(api_client, admin_staff):
    vip = ClientGroupFactory(name="VIP")
    member = PortalCustomerFactory()
    member.groups.add(vip)
    PortalCustomerFactory()
    api_client.force_authenticate(admin_staff)

    response = api_client.post(
        GROUP_MESSAGES,
        {"audience": "group", "client_group_id": vip.pk, "subject": "VIP", "text": "Lounge", "type": "message"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["client_group_id"] == vip.pk
    assert list(Message.objects.values_list("customer_id", flat=True)) == [member.pk]


def test_group_audience_needs_a_group(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    response = api_client.post(GROUP_MESSAGES, {"audience": "group", "subject": "VIP", "text": "x"}, format="json")

    assert response.status_code == 400
    assert "client_group_id" in response.json()["error"]["fields"]


def test_group_message_list_is_flat(api_client, admin_staff, django_assert_num_queries):
    GroupMessageFactory.create_batch(2)
    api_client.force_authenticate(admin_staff)
    with django_assert_num_queries(3):
        api_client.get(GROUP_MESSAGES)
    GroupMessageFactory.create_batch(20)
    api_client.force_authenticate(fresh(admin_staff))
    with django_assert_num_queries(3):
        response = api_client.get(GROUP_MESSAGES)
    assert response.json()["count"] == 22


# Portal inbox ------------------------------------------------------------------------------------------


def test_client_lists_only_own_messages_with_unread_count(api_client, django_assert_max_num_queries):
    customer = PortalCustomerFactory()
    mine = MessageFactory.create_batch(3, customer=customer)
    MessageFactory()
    bearer(api_client, customer)

    response = api_client.get(INBOX)

    assert response.status_code == 200
    assert sorted(row["id"] for row in response.json()["results"]) == sorted(m.pk for m in mine)
    assert api_client.get(UNREAD).json() == {"unread_count": 3}


def test_client_reads_a_message_once(api_client):
    customer = PortalCustomerFactory()
    message = MessageFactory(customer=customer)
    bearer(api_client, customer)
    url = reverse("portal:message-read", args=[message.pk])

    first = api_client.post(url)
    second = api_client.post(url)

    assert first.status_code == 200
    assert first.json()["read_at"] is not None
    assert second.json()["read_at"] == first.json()["read_at"]
    assert api_client.get(UNREAD).json() == {"unread_count": 0}


def test_client_cannot_read_another_clients_message(api_client):
    customer = PortalCustomerFactory()
    foreign = MessageFactory()
    bearer(api_client, customer)

    assert api_client.get(reverse("portal:message-detail", args=[foreign.pk])).status_code == 404
    assert api_client.post(reverse("portal:message-read", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_staff_token_cannot_use_the_inbox(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    assert api_client.get(INBOX).status_code in (401, 403)
