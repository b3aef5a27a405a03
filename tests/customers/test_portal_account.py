"""The client's own profile, picture, disclaimer and disable request through the portal API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.core.models import Activity, OutboxEvent
from crm.customers.models import Country, Customer, CustomerFieldConfiguration
from tests.customers.factories import CustomerFactory, PortalCustomerFactory, bearer
from tests.customers.portal import url

pytestmark = pytest.mark.django_db
PROFILE = url("account-profile")
PICTURE = url("account-picture")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_profile_is_the_callers_own(api_client):
    customer = PortalCustomerFactory(first_name="Jane")
    CustomerFactory()
    bearer(api_client, customer)

    response = api_client.get(PROFILE)

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["first_name"]) == (customer.pk, "Jane")


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("staff", 403), ("banned", 403)], ids=["anonymous", "staff", "banned"]
)
def test_profile_refuses_non_clients(api_client, admin_staff, who, status):
    if who == "staff":
        api_client.force_authenticate(admin_staff)
    elif who == "banned":
        api_client.force_authenticate(PortalCustomerFactory(status=Customer.Status.BANNED).user)

    assert api_client.get(PROFILE).status_code == status


def test_update_changes_editable_fields_and_a_new_phone_needs_confirming(api_client):
    Country.objects.create(code="DE", is_enabled=True)
    customer = PortalCustomerFactory(phone_confirmed_at=timezone.now())
    bearer(api_client, customer)

    response = api_client.patch(
        PROFILE, {"city": "Berlin", "country": "DE", "language": "de", "phone": "+4915112345678"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.city, str(customer.country), customer.language) == ("Berlin", "DE", "de")
    assert customer.phone_confirmed_at is None
    assert Activity.objects.filter(action="customer.updated", target_id=str(customer.pk)).count() == 1


def test_update_of_a_locked_field_is_refused_and_changes_nothing(api_client):
    CustomerFieldConfiguration.objects.filter(field="last_name").update(editable=False)
    customer = PortalCustomerFactory(last_name="Doe", city="London")
    bearer(api_client, customer)

    response = api_client.patch(PROFILE, {"last_name": "Smith", "city": "Leeds"}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "field_not_editable")
    customer.refresh_from_db()
    assert (customer.last_name, customer.city) == ("Doe", "London")


def test_a_profile_update_sent_as_form_data_is_refused_and_changes_nothing(api_client):
    customer = PortalCustomerFactory(city="London")
    bearer(api_client, customer)

    response = api_client.patch(PROFILE, {"city": "Leeds"}, format="multipart")

    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")
    customer.refresh_from_db()
    assert customer.city == "London"


@pytest.mark.parametrize(("body", "_case"), [({"email": "x@example.com"}, "email"), ({"status": "active"}, "status")])
def test_fields_outside_the_profile_are_ignored(api_client, body, _case):
    customer = PortalCustomerFactory(status=Customer.Status.INACTIVE)
    bearer(api_client, customer)

    api_client.patch(PROFILE, body, format="json")

    customer.refresh_from_db()
    assert customer.email != "x@example.com"
    assert customer.status == Customer.Status.INACTIVE


def test_picture_upload_read_and_delete(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    uploaded = api_client.put(PICTURE, {"file": SimpleUploadedFile("me.png", PNG)}, format="multipart")
    link = uploaded.json()["url"]
    download = api_client.get(link)
    deleted = api_client.delete(PICTURE)

    assert uploaded.status_code == 200
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert deleted.json() == {"url": None}
    customer.refresh_from_db()
    assert not customer.profile_picture


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("me.exe", PNG, "invalid_file_type"),
        ("me.png", b"MZ\x90\x00not an image", "invalid_file_content"),
        ("me.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "file_too_large"),
    ],
)
def test_bad_pictures_are_refused(api_client, name, content, code):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    response = api_client.put(PICTURE, {"file": SimpleUploadedFile(name, content)}, format="multipart")

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    customer.refresh_from_db()
    assert not customer.profile_picture


def test_another_client_cannot_open_my_picture_link(api_client):
    customer, other = PortalCustomerFactory(), PortalCustomerFactory()
    bearer(api_client, customer)
    link = api_client.put(PICTURE, {"file": SimpleUploadedFile("me.png", PNG)}, format="multipart").json()["url"]
    bearer(api_client, other)

    assert api_client.get(link).status_code == 403


def test_accepting_the_disclaimer_twice_keeps_the_first_time(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    api_client.post(url("account-accept-deposit-disclaimer"))
    customer.refresh_from_db()
    first = customer.deposit_disclaimer_accepted_at
    api_client.post(url("account-accept-deposit-disclaimer"))
    customer.refresh_from_db()

    assert first is not None
    assert customer.deposit_disclaimer_accepted_at == first


def test_disable_request_is_recorded_once(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    assert api_client.post(url("account-disable-request")).status_code == 200
    api_client.post(url("account-disable-request"))

    customer.refresh_from_db()
    assert customer.termination_requested_at is not None
    assert OutboxEvent.objects.filter(name="customer.termination_requested").count() == 1
