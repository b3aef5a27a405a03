"""API conventions every endpoint shares: throttling and the one error body."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.throttling import UserRateThrottle

from crm.wallets.models import ExchangeRate
from tests.customers.factories import PDF_BYTES, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_caller_over_the_rate_gets_429_in_the_error_body(api_client, sales_manager, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    api_client.force_authenticate(sales_manager)
    url = reverse("backoffice:customer-list")

    statuses = [api_client.get(url).status_code for _ in range(3)]
    refused = api_client.get(url)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert "Retry-After" in refused.headers


def test_unknown_object_answers_404_in_the_error_body(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.get(reverse("backoffice:customer-detail", args=[999999]))

    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message"}


def test_a_nul_character_anywhere_in_a_json_body_is_refused_before_the_database(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    response = api_client.post(
        reverse("backoffice:exchangerate-list"), {"from_currency": "EU\x00R", "to_currency": "USD", "rate": "1.1"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_unknown_api_path_answers_the_json_error_body(api_client):
    response = api_client.get("/api/v1/backoffice/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_an_unknown_admin_path_keeps_the_html_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("2026-01-01T00:00:00+23:52", 200),  # an offset Python takes and PostgreSQL would not: sent in UTC
        ("0001-01-01T00:00:00+10:00", 400),  # before year 1 once in UTC
        ("not a date", 400),
    ],
)
def test_date_time_filters_take_any_iso_offset_and_refuse_the_unrepresentable(api_client, admin_staff, value, status):
    api_client.force_authenticate(admin_staff)

    response = api_client.get(reverse("backoffice:customer-list"), {"registered_after": value})

    assert response.status_code == status


def test_a_nul_character_in_a_form_field_is_refused_but_a_file_may_hold_any_bytes(api_client, admin_staff):
    customer = CustomerFactory()
    api_client.force_authenticate(admin_staff)

    response = api_client.post(
        reverse("backoffice:customer-documents", args=[customer.pk]),
        {"file": SimpleUploadedFile("id.pdf", PDF_BYTES + b"\x00"), "document_type": "pass\x00port"},
        format="multipart",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    assert not customer.documents.exists()


def test_a_body_in_another_content_type_than_json_is_refused_and_changes_nothing(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    response = api_client.post(
        reverse("backoffice:exchangerate-list"),
        {"from_currency": "EUR", "to_currency": "USD", "rate": "1.1"},
        format="multipart",
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/backoffice/customers/", "/admin/customers/customer/"])
def test_a_nul_character_in_the_query_string_is_refused_before_any_view(client, admin_staff, path):
    client.force_login(admin_staff)

    response = client.get(path, {"search": "a\x00b", "q": "a\x00b"})

    assert response.status_code == 400


def test_a_limit_over_the_cap_is_served_at_the_cap_and_next_pages_on(api_client, sales_manager, monkeypatch):
    from crm.core.api.pagination import LimitOffsetPagination
    from tests.customers.factories import CustomerFactory

    monkeypatch.setattr(LimitOffsetPagination, "max_limit", 2)
    CustomerFactory.create_batch(3)
    api_client.force_authenticate(sales_manager)

    response = api_client.get(reverse("backoffice:customer-list"), {"limit": 5000})

    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (3, 2)
    assert "limit=2" in response.json()["next"]
    assert "offset=2" in response.json()["next"]
