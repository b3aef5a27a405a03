"""Creating and changing clients through the back-office API, one by one and in bulk."""

import pytest
from django.urls import reverse, reverse_lazy

from crm.core.models import Activity, OutboxEvent
from crm.customers.models import Customer
from tests.customers.factories import CustomerFactory, SalesStatusFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse_lazy("backoffice:customer-list")
BULK_URL = reverse_lazy("backoffice:customer-bulk-update")


# Create and update ----------------------------------------------------------------------


def test_create_splits_full_name_and_assigns_the_creating_agent(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        LIST_URL,
        {
            "full_name": "Jane Mary Doe",
            "phone": "+447911123456",
            "country": "DE",
            "email": "Jane@Example.com",
            "currency": "EUR",
        },
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name, customer.email) == ("Jane", "Mary Doe", "jane@example.com")
    assert (customer.country.code, customer.currency, str(customer.phone)) == ("DE", "EUR", "+447911123456")
    assert customer.conversion_agent == sales_agent
    assert response.json()["id"] == customer.pk
    assert response.json()["email"] == "j***@*******.com"
    assert OutboxEvent.objects.filter(name="customer.created", payload={"customer_id": customer.pk}).count() == 1


def test_create_requires_seed_fields(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.post(LIST_URL, {"first_name": "Jane"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert set(response.json()["error"]["fields"]) == {"email", "phone", "country", "currency"}
    assert not Customer.objects.exists()


def test_create_with_taken_email_answers_409(api_client, sales_manager):
    CustomerFactory(email="jane@example.com")
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        LIST_URL,
        {
            "first_name": "Jane",
            "phone": "+447911123456",
            "country": "GB",
            "email": "JANE@example.com",
            "currency": "USD",
        },
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "email_taken",
            "message": "A client with this email already exists.",
            "fields": {"email": ["Already registered."]},
        }
    }
    assert Customer.objects.count() == 1


def test_agent_cannot_set_agents_without_assign_permission(api_client, sales_agent, other_sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.patch(
        reverse("backoffice:customer-detail", args=[customer.pk]), {"conversion_agent_id": other_sales_agent.pk}
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.conversion_agent == sales_agent


def test_update_changes_fields_and_logs_old_and_new_values(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, first_name="Jane", city="Leeds")
    status = SalesStatusFactory(name="Interested")
    api_client.force_authenticate(sales_agent)

    response = api_client.patch(
        reverse("backoffice:customer-detail", args=[customer.pk]),
        {"first_name": "Janet", "sales_status_id": status.pk, "city": "Leeds"},
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Janet"
    assert response.json()["sales_status"] == {"id": status.pk, "name": "Interested", "color": "#22c55e"}
    activity = Activity.objects.get(action="customer.updated")
    assert activity.changes == {"first_name": ["Jane", "Janet"], "sales_status": [None, status.pk]}
    assert activity.actor == sales_agent
    assert activity.channel == "api"


def test_update_to_a_taken_email_answers_409(api_client, sales_manager):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")
    api_client.force_authenticate(sales_manager)

    response = api_client.patch(
        reverse("backoffice:customer-detail", args=[customer.pk]), {"email": "taken@example.com"}
    )

    assert response.status_code == 409
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


def test_full_update_with_put_is_not_offered(api_client, sales_manager):
    customer = CustomerFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.put(reverse("backoffice:customer-detail", args=[customer.pk]), {"first_name": "X"})

    assert response.status_code == 405


# Bulk update ----------------------------------------------------------------------------


def test_bulk_update_applies_every_row(api_client, sales_manager):
    first, second = CustomerFactory.create_batch(2)
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        BULK_URL, [{"id": first.pk, "currency": "EUR"}, {"id": second.pk, "full_name": "Max Power", "roles": []}]
    )

    assert response.status_code == 200
    assert response.json() == {"updated": 2}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.currency == "EUR"
    assert (second.first_name, second.last_name) == ("Max", "Power")


def test_bulk_update_rolls_back_entirely_on_one_bad_row(api_client, sales_manager):
    CustomerFactory(email="taken@example.com")
    first, second = CustomerFactory.create_batch(2, currency="USD")
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        BULK_URL, [{"id": first.pk, "currency": "EUR"}, {"id": second.pk, "email": "taken@example.com"}]
    )

    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"1.email": ["Already registered."]}
    first.refresh_from_db()
    assert first.currency == "USD"
    assert not Activity.objects.filter(action="customer.updated").exists()
    assert not OutboxEvent.objects.filter(name="customer.updated").exists()


def test_bulk_update_names_the_invalid_row(api_client, sales_manager):
    first, second = CustomerFactory.create_batch(2)
    api_client.force_authenticate(sales_manager)

    response = api_client.post(BULK_URL, [{"id": first.pk, "currency": "EUR"}, {"id": second.pk, "country": "XX"}])

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["1.country"]
    first.refresh_from_db()
    assert first.currency == "USD"


def test_bulk_update_refuses_clients_the_caller_cannot_see(api_client, sales_agent, other_sales_agent):
    own = CustomerFactory(conversion_agent=sales_agent, currency="USD")
    other = CustomerFactory(conversion_agent=other_sales_agent, currency="USD")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(BULK_URL, [{"id": own.pk, "currency": "EUR"}, {"id": other.pk, "currency": "EUR"}])

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"1.id": ["Not found."]}
    assert set(Customer.objects.values_list("currency", flat=True)) == {"USD"}
