"""API conventions every endpoint shares: throttling and the one error body."""

import pytest
from django.urls import reverse
from rest_framework.throttling import UserRateThrottle

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
