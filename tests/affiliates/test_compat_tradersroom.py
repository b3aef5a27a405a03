"""003 "Traders Room — Sign Up API", against the seed's bodies word for word."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import Group

from crm.affiliates.models import Attribution
from crm.core.models import Activity
from crm.core.roles import Role
from crm.customers.models import ClientGroup, Country, Customer
from tests.affiliates.api_factories import portal_affiliate
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import ClientTypeFactory, SalesStatusFactory
from tests.sales.factories import DeskFactory
from tests.users.factories import ApiTokenFactory, StaffUserFactory

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
    DeskFactory(name="Sales", members=[StaffUserFactory()])
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
    }

    response = post(api_client, body, platform_key)

    assert response.status_code == 200, response.json()
    customer = Customer.objects.get(pk=int(response.json()["id"]))
    attribution = Attribution.objects.get(customer=customer)
    recorded = Activity.objects.get(action="affiliates.tradersroom_signup").data
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
    assert (customer.attribution["project"], customer.attribution["desk"]) == ("default", "sales")


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


BASIC = {"email": "user@example.com", "phone": "+447911123456", "firstName": "Jane"}


def test_send_email_false_sends_no_confirmation(
    api_client, platform_key, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(api_client, {**BASIC, "sendEmail": False}, platform_key)
        post(api_client, {**BASIC, "email": "second@example.com"}, platform_key)

    assert [message.to for message in mailoutbox] == [["second@example.com"]]
    assert Activity.objects.filter(action="affiliates.tradersroom_signup", data__send_email=False).count() == 1


def test_desk_puts_the_client_on_that_desk_round_robin(api_client, platform_key):
    first, second = StaffUserFactory(), StaffUserFactory()
    desk = DeskFactory(name="Sales", members=[first, second])

    answers = [
        post(api_client, {**BASIC, "email": f"u{n}@example.com", "desk": name}, platform_key)
        for n, name in enumerate(["sales", str(desk.pk)])
    ]

    agents = [Customer.objects.get(pk=int(answer.json()["id"])).conversion_agent for answer in answers]
    assert sorted(agent.pk for agent in agents) == sorted([first.pk, second.pk])


def test_an_affiliate_key_may_name_the_desk(api_client):
    from crm.affiliates import services

    ClientTypeFactory()
    agent = StaffUserFactory()
    DeskFactory(name="German desk", members=[agent])
    _, raw = services.create_api_key(portal_affiliate(), actor=None)

    response = post(api_client, {**BASIC, "desk": "German desk"}, raw)

    assert Customer.objects.get(pk=int(response.json()["id"])).conversion_agent == agent


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"desk": "sales"}, "desk: no desk named 'sales'"),
        ({"status": "VIP gold"}, "status: no sales status named 'VIP gold'"),
        ({"type": "Robot"}, "type: no client type named 'Robot'"),
        ({"companyFeeGroup": "Zero spread"}, "companyFeeGroup: no client group named 'Zero spread'"),
        ({"manager": "nobody@example.com"}, "manager: no active staff member 'nobody@example.com'"),
        ({"verificationLevel": "Level 2"}, "verificationLevel: managed by the platform; it cannot be set at sign-up"),
        ({"state": "live"}, "state: managed by the platform; it cannot be set at sign-up"),
        ({"processed": False}, "processed: managed by the platform; it cannot be set at sign-up"),
        ({"passport": "X1234567"}, "passport: managed by the platform; it cannot be set at sign-up"),
    ],
)
def test_fields_that_cannot_be_honoured_are_refused(api_client, platform_key, extra, message):
    response = post(api_client, {**BASIC, **extra}, platform_key)

    assert response.status_code == 400
    assert response.json() == {"message": message, "providerStatus": 400}
    assert not Customer.objects.exists()


def test_an_affiliate_key_cannot_set_the_brokers_routing(api_client):
    from crm.affiliates import services

    SalesStatusFactory(name="Interested")
    _, raw = services.create_api_key(portal_affiliate(), actor=None)

    response = post(api_client, {**BASIC, "status": "Interested"}, raw)

    assert response.json() == {
        "message": "status: set by the broker; an affiliate's key cannot set it",
        "providerStatus": 400,
    }
    assert not Customer.objects.filter(email=BASIC["email"]).exists()


def test_platform_routing_and_the_fields_kept_on_the_sign_up_record(api_client, platform_key):
    manager = StaffUserFactory()
    status, group = SalesStatusFactory(name="Interested"), ClientGroup.objects.create(name="Zero spread")
    client_type = ClientTypeFactory(name="Corporate", is_default=False)
    body = {
        **BASIC,
        "manager": manager.email,
        "status": "interested",
        "type": "Corporate",
        "companyFeeGroup": "Zero spread",
        "middleName": "Marie",
        "gender": "female",
        "nationality": "British",
        "additionalPhone": "+447911000000",
    }

    response = post(api_client, body, platform_key)

    customer = Customer.objects.get(pk=int(response.json()["id"]))
    assert (customer.conversion_agent, customer.sales_status, customer.client_type) == (manager, status, client_type)
    assert list(customer.groups.all()) == [group]
    kept = {name: customer.attribution[name] for name in ("middleName", "gender", "nationality", "additionalPhone")}
    assert kept == {
        "middleName": "Marie",
        "gender": "female",
        "nationality": "British",
        "additionalPhone": "+447911000000",
    }
