"""Web push: VAPID key once, subscriptions by topic, sending through pywebpush to a stand-in push service."""

import json

import pytest
from django.urls import reverse, reverse_lazy
from py_vapid import Vapid02

from crm.communications.models import Message, PushNotification, PushSubscription
from crm.communications.services import push as services
from crm.communications.tasks import send_push_task
from crm.core.models import Setting
from tests.communications.push_service import Browser, push_service  # noqa: F401  (fixture)
from tests.customers.factories import PortalCustomerFactory, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what waits for the commit (the send task) when the block ends, as a request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


PORTAL_SUBSCRIPTIONS = reverse_lazy("portal:push-subscription-list")
STAFF_SUBSCRIPTIONS = reverse_lazy("backoffice:push-subscription-list")
NOTIFICATIONS = reverse_lazy("backoffice:push-notification-list")


def subscribe(customer, service, browser, path="/push/1"):
    return PushSubscription.objects.create(
        user=customer.user, topic="user", endpoint=service.url + path, p256dh=browser.p256dh, auth=browser.auth
    )


def test_vapid_key_pair_is_generated_once_and_the_private_key_is_encrypted(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    url = reverse("portal:push-subscription-public-key")

    first = api_client.get(url).json()["public_vapid_key"]
    second = api_client.get(url).json()["public_vapid_key"]

    assert first == second
    assert Setting.objects.filter(key__startswith="push.vapid").count() == 2
    private = Setting.objects.get(key=services.PRIVATE_KEY_SETTING)
    assert private.is_secret
    assert "PRIVATE KEY" not in private.stored_value
    assert Vapid02.from_pem(str(private.value).encode()).private_key is not None


def test_client_subscribes_to_the_user_topic_and_again_updates(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    browser = Browser.new()
    body = {
        "subscription": {"endpoint": "https://push.example.com/abc", "keys": {"p256dh": browser.p256dh, "auth": "x"}},
        "topic": "user",
    }

    first = api_client.post(PORTAL_SUBSCRIPTIONS, body, format="json")
    body["subscription"]["keys"]["auth"] = browser.auth
    second = api_client.post(PORTAL_SUBSCRIPTIONS, body, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    subscription = PushSubscription.objects.get()
    assert (subscription.user, subscription.topic, subscription.auth) == (customer.user, "user", browser.auth)
    assert first.json()["id"] == second.json()["id"] == subscription.pk
    listed = api_client.get(PORTAL_SUBSCRIPTIONS, {"topic": "user"}).json()
    assert [row["id"] for row in listed["results"]] == [subscription.pk]


def test_client_cannot_subscribe_to_the_admin_topic(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    body = {"subscription": {"endpoint": "https://push.example.com/a", "keys": {"p256dh": "k", "auth": "a"}}}

    response = api_client.post(PORTAL_SUBSCRIPTIONS, {**body, "topic": "admin"}, format="json")

    assert response.status_code == 400
    assert "topic" in response.json()["error"]["fields"]
    assert not PushSubscription.objects.exists()


def test_staff_subscribe_to_the_admin_topic(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)
    body = {"subscription": {"endpoint": "https://push.example.com/s", "keys": {"p256dh": "k", "auth": "a"}}}

    response = api_client.post(STAFF_SUBSCRIPTIONS, {**body, "topic": "admin"}, format="json")

    assert response.status_code == 201
    assert PushSubscription.objects.get().user == sales_agent


def test_client_unsubscribes_own_subscriptions_only(api_client):
    customer, other = PortalCustomerFactory.create_batch(2)
    mine = PushSubscription.objects.create(user=customer.user, topic="user", endpoint="https://p.example/1")
    foreign = PushSubscription.objects.create(user=other.user, topic="user", endpoint="https://p.example/2")
    bearer(api_client, customer)

    assert api_client.delete(reverse("portal:push-subscription-detail", args=[foreign.pk])).status_code == 404
    response = api_client.post(
        reverse("portal:push-subscription-unsubscribe"), {"endpoint": "https://p.example/2"}, format="json"
    )
    assert response.json() == {"removed": 0}
    response = api_client.post(reverse("portal:push-subscription-unsubscribe"), {"topic": "user"}, format="json")
    assert response.json() == {"removed": 1}
    assert list(PushSubscription.objects.all()) == [foreign]
    assert not PushSubscription.objects.filter(pk=mine.pk).exists()


def test_staff_sends_a_push_that_the_browser_decrypts(api_client, sales_agent, push_service, committed):  # noqa: F811
    customer = PortalCustomerFactory(conversion_agent=sales_agent)
    browser = Browser.new()
    subscribe(customer, push_service, browser)
    api_client.force_authenticate(sales_agent)

    with committed():
        response = api_client.post(
            NOTIFICATIONS,
            {"customer_id": customer.pk, "notification": {"title": "Margin", "body": "Top up"}, "ttl": 60},
            format="json",
        )

    assert response.status_code == 201
    notification = PushNotification.objects.get(pk=response.json()["id"])
    assert (notification.status, notification.delivered, notification.ttl) == ("sent", 1, 60)
    [request] = push_service.received
    assert request.path == "/push/1"
    assert request.headers["ttl"] == "60"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["authorization"].startswith("vapid t=")
    assert f"k={services.vapid_public_key()}" in request.headers["authorization"]
    assert json.loads(browser.decrypt(request.body)) == {"title": "Margin", "body": "Top up"}


def test_gone_subscriptions_are_removed(api_client, admin_staff, push_service, committed):  # noqa: F811
    customer = PortalCustomerFactory()
    alive = subscribe(customer, push_service, Browser.new(), "/alive")
    subscribe(customer, push_service, Browser.new(), "/expired")
    subscribe(customer, push_service, Browser.new(), "/unknown")
    push_service.answers.update({"/expired": 410, "/unknown": 404})

    with committed():
        notification = services.notify_customer(customer, notification={"title": "Hi"}, actor=admin_staff)

    notification.refresh_from_db()
    assert (notification.status, notification.delivered, notification.removed) == ("sent", 1, 2)
    assert list(PushSubscription.objects.all()) == [alive]


def test_a_failing_push_service_is_recorded_and_the_subscription_kept(admin_staff, push_service, committed):  # noqa: F811
    customer = PortalCustomerFactory()
    subscribe(customer, push_service, Browser.new(), "/broken")
    push_service.answers["/broken"] = 500

    with committed():
        notification = services.notify_customer(customer, notification={"title": "Hi"}, actor=admin_staff)

    notification.refresh_from_db()
    assert (notification.status, notification.failed) == ("failed", 1)
    assert "500" in notification.error
    assert PushSubscription.objects.count() == 1


def test_a_client_without_subscriptions_gets_no_push(admin_staff, committed):
    customer = PortalCustomerFactory()

    with committed():
        notification = services.notify_customer(customer, notification={"title": "Hi"}, actor=admin_staff)

    notification.refresh_from_db()
    assert notification.status == "no_subscription"


def test_running_the_send_task_twice_sends_once(admin_staff, push_service):  # noqa: F811
    customer = PortalCustomerFactory()
    subscribe(customer, push_service, Browser.new())
    # A row made directly is only queued (nothing sends it): the task is run by hand below. (Changing
    # CELERY_TASK_ALWAYS_EAGER here would stick for the session if it were Celery's first read of the settings.)
    notification = PushNotification.objects.create(
        user=customer.user, customer=customer, topic="user", payload={"a": 1}
    )

    send_push_task.apply(args=[notification.pk])
    send_push_task.apply(args=[notification.pk])

    assert len(push_service.received) == 1


def test_agent_cannot_push_to_another_agents_client(api_client, sales_agent):
    customer = PortalCustomerFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        NOTIFICATIONS, {"customer_id": customer.pk, "notification": {"title": "x"}}, format="json"
    )

    assert response.status_code == 404
    assert not PushNotification.objects.exists()


def test_push_message_reaches_inbox_and_browser(api_client, sales_agent, push_service, committed):  # noqa: F811
    customer = PortalCustomerFactory(conversion_agent=sales_agent)
    browser = Browser.new()
    subscribe(customer, push_service, browser)
    api_client.force_authenticate(sales_agent)

    with committed():
        response = api_client.post(
            reverse("backoffice:message-list"),
            {"customer_id": customer.pk, "subject": "Bonus", "text": "You got one", "type": "push"},
            format="json",
        )

    assert response.status_code == 201
    message = Message.objects.get()
    assert message.via_push is True
    payload = json.loads(browser.decrypt(push_service.received[0].body))
    assert payload == {"title": "Bonus", "body": "You got one", "message_id": message.pk}
    assert PushNotification.objects.get().message == message


def test_notification_list_is_scoped_and_flat(api_client, sales_agent, django_assert_num_queries):
    own = PortalCustomerFactory(conversion_agent=sales_agent)
    PushNotification.objects.create(user=own.user, customer=own, topic="user", payload={"title": "a"})
    other = PortalCustomerFactory()
    PushNotification.objects.create(user=other.user, customer=other, topic="user", payload={"title": "b"})
    api_client.force_authenticate(sales_agent)

    response = api_client.get(NOTIFICATIONS)

    assert [row["customer_id"] for row in response.json()["results"]] == [own.pk]
    for _ in range(10):
        PushNotification.objects.create(user=own.user, customer=own, topic="user", payload={"title": "a"})
    with django_assert_num_queries(2):
        api_client.get(NOTIFICATIONS)
