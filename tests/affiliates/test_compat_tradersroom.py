"""003 "Traders Room — Sign Up API", against the seed's bodies word for word."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import Group

from crm.affiliates.models import Attribution
from crm.core.models import Activity
from crm.core.roles import Role
from crm.customers.models import Country, Customer
from tests.affiliates.api_factories import portal_affiliate
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import ClientTypeFactory
from tests.users.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db
URL = "/tradersroom/api/auth/signup"
REQUIRED = {"message": "Email, phone and first name are required", "providerStatus": 400}
INVALID_KEY = {"message": "Invalid secret key", "providerStatus": 401}


@pytest.fixture
def platform_key(db):
    ClientTypeFactory()
    return ApiTokenFactory(role=Group.objects.get(name=str(Role.SALES_MANAGER))).raw_key


def post(api_client, body, key):
    headers = {"HTTP_X_API_KEY": key} if key else {}
    return api_client.post(URL, body, format="json", **headers)


def test_basic_registration_answers_id_and_autologin_url(api_client, platform_key):
    response = post(
        api_client, {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane"}, platform_key
    )

    customer = Customer.objects.get(email="user@example.com")
    assert response.status_code == 200
    assert set(response.json()) == {"id", "url"}
    assert response.json()["id"] == str(customer.pk)
    assert "/autologin/" in response.json()["url"]
    assert (customer.first_name, str(customer.phone), customer.user is not None) == ("Jane", "+447911123456", True)


def test_autologin_link_logs_in_once(api_client, platform_key):
    url = post(
        api_client, {"email": "u@example.com", "phone": "+447911123456", "firstName": "Jane"}, platform_key
    ).json()["url"]
    token = url.rstrip("/").rsplit("/", 1)[-1]
    api_client.credentials()

    first = api_client.post("/api/v1/portal/autologin/", {"token": token}, format="json")
    again = api_client.post("/api/v1/portal/autologin/", {"token": token}, format="json")

    assert first.status_code == 200
    assert {"access", "refresh", "customer"} <= set(first.json())
    assert again.status_code == 401


def test_full_example_maps_fields_and_attribution(api_client, platform_key):
    Country.objects.create(code="GB")
    affiliate = AffiliateFactory()
    body = {
        "email": "user@example.com",
        "phone": "+447911123456",
        "firstName": "Jane",
        "lastName": "Doe",
        "affiliateID": str(affiliate.customer_id),
        "subID": "SUB-1",
        "campaignId": "CMP-456",
        "sourceId": "facebook_ads",
        "project": "default",
        "desk": "sales",
        "sendEmail": True,
        "dateOfBirth": "1990-04-01",
        "billing": {"country": "GB", "region": "London", "city": "London", "postcode": "N1", "address": "1 High St"},
        "agreements": [{"label": "Terms and Conditions", "ip": "127.0.0.1", "signedAt": "2026-01-01T12:00:00Z"}],
        "verificationLevel": "Full",
    }

    response = post(api_client, body, platform_key)

    assert response.status_code == 200, response.json()
    customer = Customer.objects.get(pk=int(response.json()["id"]))
    attribution = Attribution.objects.get(customer=customer)
    recorded = Activity.objects.get(action="affiliates.tradersroom_signup").data["request"]
    assert (customer.last_name, customer.city, customer.postal_code, str(customer.country)) == (
        "Doe",
        "London",
        "N1",
        "GB",
    )
    assert (customer.introducer_id, customer.source, customer.campaign) == (
        affiliate.customer_id,
        "facebook_ads",
        "CMP-456",
    )
    assert (attribution.affiliate_id, attribution.sub_id) == (affiliate.pk, "SUB-1")
    assert recorded["agreements"][0]["label"] == "Terms and Conditions"
    assert customer.verification_level is None or customer.verification_level.name != "Full"


@pytest.mark.parametrize(
    ("body", "_case"),
    [
        ({"phone": "+447911123456", "firstName": "Jane"}, "no email"),
        ({"email": "user@example.com", "firstName": "Jane"}, "no phone"),
        ({"email": "user@example.com", "phone": "+447911123456", "firstName": ""}, "blank first name"),
        ([], "not an object"),
    ],
)
def test_missing_required_fields_body_word_for_word(api_client, platform_key, body, _case):
    response = post(api_client, body, platform_key)

    assert response.status_code == 400
    assert response.json() == REQUIRED
    assert not Customer.objects.exists()


def test_duplicate_email_is_a_400_in_the_seed_shape(api_client, platform_key):
    body = {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane"}
    post(api_client, body, platform_key)

    response = post(api_client, body, platform_key)

    assert response.status_code == 400
    assert set(response.json()) == {"message", "providerStatus"}
    assert response.json()["providerStatus"] == 400
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("key", [None, "wrong-key", "sales-agent-token"])
def test_invalid_secret_key_body_word_for_word(api_client, key):
    if key == "sales-agent-token":  # a token whose role may not add clients
        key = ApiTokenFactory(role=Group.objects.get(name=str(Role.DEALER))).raw_key

    response = post(api_client, {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane"}, key)

    assert response.status_code == 401
    assert response.json() == INVALID_KEY
    assert not Customer.objects.exists()


def test_server_error_body_word_for_word(api_client, platform_key):
    body = {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane"}
    with mock.patch("crm.affiliates.compat.tradersroom.tradersroom_sign_up", side_effect=RuntimeError("boom")):
        response = post(api_client, body, platform_key)

    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error", "providerStatus": 500}


def test_affiliate_key_signs_up_its_own_referral(api_client):
    from crm.affiliates import services

    ClientTypeFactory()
    affiliate = portal_affiliate()
    _, raw = services.create_api_key(affiliate, actor=None)

    response = post(api_client, {"email": "x@example.com", "phone": "+447911123456", "firstName": "Jo"}, raw)

    customer = Customer.objects.get(pk=int(response.json()["id"]))
    assert customer.introducer_id == affiliate.customer_id
    assert Attribution.objects.get(customer=customer).method == Attribution.Method.PARTNER_API


def test_affiliate_key_cannot_attribute_to_a_stranger(api_client):
    from crm.affiliates import services

    affiliate, stranger = portal_affiliate(), AffiliateFactory()
    _, raw = services.create_api_key(affiliate, actor=None)
    body = {
        "email": "x@example.com",
        "phone": "+447911123456",
        "firstName": "Jo",
        "affiliateID": str(stranger.customer_id),
    }

    response = post(api_client, body, raw)

    assert response.status_code == 400
    assert not Customer.objects.filter(email="x@example.com").exists()


@pytest.mark.parametrize(
    ("billing_country", "nationality", "stored"),
    [("gb", "", "GB"), ("ZZ", "British", ""), ("", "DE", "DE"), ("XX", "fr", "FR")],
)
def test_only_real_country_codes_reach_the_client(api_client, platform_key, billing_country, nationality, stored):
    for code in ("GB", "DE", "FR"):
        Country.objects.create(code=code)
    body = {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane", "nationality": nationality}
    body["billing"] = {"country": billing_country}

    response = post(api_client, body, platform_key)

    assert response.status_code == 200, response.json()
    assert str(Customer.objects.get(email="user@example.com").country or "") == stored
