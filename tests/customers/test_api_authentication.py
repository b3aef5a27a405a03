"""Who may call the back-office clients API: API tokens (expiry, IP allow-list) and staff sessions."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from crm.core.models import Activity
from crm.core.roles import Role
from crm.customers.models import Customer
from crm.users import services as user_services
from tests.customers.factories import PDF_BYTES, CustomerFactory
from tests.users.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
LIST_URL = reverse_lazy("backoffice:customer-list")


# Authentication -------------------------------------------------------------------------


def _token(**kwargs):
    return user_services.create_api_token(name="BI", role=Group.objects.get(name=Role.SALES_MANAGER), **kwargs)


def test_valid_api_token_lists_clients(api_client):
    CustomerFactory.create_batch(2)
    _, raw = _token()

    response = api_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Token {raw}")

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_api_token_can_create_a_client(api_client):
    token, raw = _token()

    response = api_client.post(
        LIST_URL,
        {
            "first_name": "Jane",
            "phone": "+447911123456",
            "country": "GB",
            "email": "jane@example.com",
            "currency": "USD",
        },
        HTTP_AUTHORIZATION=f"Token {raw}",
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.conversion_agent is None
    assert Activity.objects.get(action="customer.created").actor == token.user


def test_expired_api_token_is_refused(api_client):
    token, raw = _token()
    token.__class__.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = api_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Token {raw}")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The token has expired."


def test_api_token_from_an_address_outside_the_allow_list_is_refused(api_client):
    _, raw = _token(allowed_ips=["10.0.0.0/8"])

    refused = api_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Token {raw}", REMOTE_ADDR="192.0.2.7")
    allowed = api_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Token {raw}", REMOTE_ADDR="10.1.2.3")

    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "The token is not allowed from this IP address."
    assert allowed.status_code == 200


def test_unknown_api_token_is_refused(api_client):
    response = api_client.get(LIST_URL, HTTP_AUTHORIZATION="Token not-a-real-key")

    assert response.status_code == 401


def test_staff_session_reads_clients(api_client, sales_manager):
    CustomerFactory()
    assert api_client.login(email=sales_manager.email, password=DEFAULT_PASSWORD)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_document_upload_through_session(api_client, compliance_officer):
    customer = CustomerFactory()
    assert api_client.login(email=compliance_officer.email, password=DEFAULT_PASSWORD)

    response = api_client.post(
        reverse("backoffice:customer-documents", args=[customer.pk]),
        {"file": SimpleUploadedFile("id.pdf", PDF_BYTES, "application/pdf"), "document_type": "id_card"},
        format="multipart",
    )

    assert response.status_code == 201
    assert customer.documents.get().document_type == "id_card"
