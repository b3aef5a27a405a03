"""The partner call of 000 AffiliateCreateCustomer and the auto-login it hands out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from crm.affiliates import services_api
from crm.affiliates.models import Attribution
from crm.customers.models import Customer
from crm.users.models import LoginRecord, OneTimeToken
from tests.affiliates.api_factories import log_in, portal_affiliate, with_key
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import ClientTypeFactory, CustomerFactory, PortalCustomerFactory
from tests.wallets.test_concurrency import run_together

pytestmark = pytest.mark.django_db
URL = reverse("affiliate:referral-list")
AUTOLOGIN = reverse("portal:autologin-list")
BODY = {"email": "johndoe@example.com", "first_name": "John", "last_name": "Doe", "source": "FB", "external_id": "x-1"}


@pytest.fixture(autouse=True)
def _client_type(db):
    ClientTypeFactory()


def test_partner_creates_a_client_it_introduces(api_client):
    affiliate = portal_affiliate()
    with_key(api_client, affiliate)

    response = api_client.post(URL, {**BODY, "skip_onboarding_steps": ["KYC"]}, format="json")

    customer = Customer.objects.get(email="johndoe@example.com")
    assert response.status_code == 201
    assert response.json()["id"] == customer.pk
    assert response.json()["success"] is True
    assert "/autologin/" in response.json()["deposit_url"]
    assert response.json()["deposit_url"].endswith("?next=/deposit")
    assert (customer.introducer_id, customer.source, customer.external_id) == (affiliate.customer_id, "FB", "x-1")
    assert customer.skipped_onboarding_steps == ["KYC"]
    assert customer.user.has_usable_password()
    assert Attribution.objects.get(customer=customer).method == Attribution.Method.PARTNER_API


def test_referral_key_of_a_sub_affiliate_attributes_to_it(api_client):
    affiliate = portal_affiliate()
    sub = AffiliateFactory(parent=affiliate)
    log_in(api_client, affiliate)

    api_client.post(URL, {**BODY, "wtreferrer": sub.customer.referral_key}, format="json")

    assert Customer.objects.get(email="johndoe@example.com").introducer_id == sub.customer_id


def test_referral_key_outside_the_tree_is_refused(api_client):
    affiliate, stranger = portal_affiliate(), AffiliateFactory()
    log_in(api_client, affiliate)

    response = api_client.post(URL, {**BODY, "wtreferrer": stranger.customer.referral_key}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["wtreferrer"]
    assert not Customer.objects.filter(email="johndoe@example.com").exists()


def test_registered_email_is_refused_and_nothing_changes(api_client):
    CustomerFactory(email="johndoe@example.com")
    with_key(api_client, portal_affiliate())

    response = api_client.post(URL, BODY, format="json")

    assert response.status_code == 409
    assert Customer.objects.filter(email="johndoe@example.com").count() == 1


def test_autologin_token_works_once(api_client):
    with_key(api_client, portal_affiliate())
    url = api_client.post(URL, BODY, format="json").json()["redirect_url"]
    token = url.rstrip("/").rsplit("/", 1)[-1]
    api_client.credentials()

    first = api_client.post(AUTOLOGIN, {"token": token}, format="json")
    second = api_client.post(AUTOLOGIN, {"token": token}, format="json")

    assert first.status_code == 200
    assert first.json()["customer"]["email"] == "johndoe@example.com"
    assert second.status_code == 401


def test_an_autologin_link_lives_the_configured_seconds(settings):
    settings.AFFILIATE_AUTOLOGIN_SECONDS = 90
    customer = PortalCustomerFactory()

    _raw, expires_at = services_api.issue_autologin_token(customer)

    token = OneTimeToken.objects.get(user=customer.user, purpose=OneTimeToken.Purpose.AUTOLOGIN)
    assert expires_at - token.created_at == dt.timedelta(seconds=90)


def test_expired_or_forged_autologin_token_is_refused(api_client):
    customer = PortalCustomerFactory()
    with override_settings(AFFILIATE_AUTOLOGIN_SECONDS=-1):
        expired, _ = services_api.issue_autologin_token(customer)
        response = api_client.post(AUTOLOGIN, {"token": expired}, format="json")
    forged = api_client.post(AUTOLOGIN, {"token": "eyJjIjoxfQ:forged:sig"}, format="json")

    assert (response.status_code, forged.status_code) == (401, 401)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_autologin_link_redeemed_concurrently_opens_one_session(api_client, settings):
    """Issue 11, finding 2: with no shared cache (each gunicorn worker its own memory), 8 concurrent uses of
    one link opened 3-4 sessions. "Used" is now decided in the database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ClientTypeFactory()
    with_key(api_client, portal_affiliate())
    token = api_client.post(URL, BODY, format="json").json()["redirect_url"].rstrip("/").rsplit("/", 1)[-1]

    def redeem():
        return APIClient().post(AUTOLOGIN, {"token": token}, format="json").status_code

    answers = run_together([redeem for _ in range(8)])

    assert sorted(answers) == [200] + [401] * 7
    assert LoginRecord.objects.filter(user__email="johndoe@example.com", result="success").count() == 1
