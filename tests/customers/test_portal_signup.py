"""Portal sign-up through the API: forms, attribution, refusals, CAPTCHA, throttling."""

from unittest import mock

import pytest
from django.core import mail
from rest_framework.throttling import ScopedRateThrottle

from crm.core import http
from crm.core.models import Activity, OutboxEvent
from crm.core.services import set_setting
from crm.customers.models import ClientRole, Country, Customer, CustomerFieldConfiguration
from crm.users.models import LoginRecord, User
from tests.customers.factories import CustomerFactory, PortalCustomerFactory
from tests.customers.portal import PASSWORD, url

pytestmark = pytest.mark.django_db
SIGN_UP = url("auth-sign-up")


@pytest.fixture(autouse=True)
def _countries(db):
    Country.objects.create(code="GB", is_enabled=True)
    Country.objects.create(code="US", is_enabled=False)


def _body(**extra):
    return {"form": "demo", "email": "jane@example.com", "password": PASSWORD, "first_name": "Jane", **extra}


def test_sign_up_creates_the_login_and_the_client_with_attribution(api_client, django_capture_on_commit_callbacks):
    introducer = CustomerFactory(referral_key="IB-7F3K")
    body = _body(
        form="real",
        last_name="Doe",
        country="GB",
        phone="+447911123456",
        wtreferrer="IB-7F3K",
        campaign="spring",
        source="landing",
        utm_source="google",
        utm_medium="cpc",
        external_id="ext-1",
        device={"platform": "web", "web_timezone": "Europe/London"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(SIGN_UP, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"access", "refresh", "customer", "pending_steps"}
    customer = Customer.objects.get(email="jane@example.com")
    assert customer.user.email == "jane@example.com"
    assert customer.user.check_password(PASSWORD)
    assert customer.user.is_staff is False
    assert customer.status == Customer.Status.INACTIVE
    assert customer.introducer == introducer
    assert (customer.campaign, customer.source, customer.utm_source, customer.utm_medium, customer.external_id) == (
        "spring",
        "landing",
        "google",
        "cpc",
        "ext-1",
    )
    assert customer.attribution["wtreferrer"] == "IB-7F3K"
    assert data["customer"]["id"] == customer.pk
    assert OutboxEvent.objects.filter(name="customer.registered", payload__customer_id=customer.pk).count() == 1
    assert Activity.objects.filter(action="customer.registered", target_id=str(customer.pk)).count() == 1
    assert LoginRecord.objects.get(user=customer.user).reason == LoginRecord.Reason.SIGN_UP
    assert customer.user.devices.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jane@example.com"]
    assert "verify-email?token=" in mail.outbox[0].body


def test_unknown_referral_key_is_kept_raw_without_an_introducer(api_client):
    response = api_client.post(SIGN_UP, _body(wtreferrer="NOPE"), format="json")

    assert response.status_code == 201
    customer = Customer.objects.get(email="jane@example.com")
    assert customer.introducer is None
    assert customer.attribution == {"wtreferrer": "NOPE"}


def test_affiliate_id_makes_the_introducer_only_for_an_affiliate(api_client):
    affiliate = CustomerFactory()
    affiliate.roles.add(ClientRole.objects.get(name="affiliate"))
    trader = CustomerFactory()

    api_client.post(SIGN_UP, _body(affiliate_id=affiliate.pk), format="json")
    api_client.post(SIGN_UP, _body(email="tom@example.com", affiliate_id=trader.pk), format="json")

    assert Customer.objects.get(email="jane@example.com").introducer == affiliate
    assert Customer.objects.get(email="tom@example.com").introducer is None


def test_sign_up_with_a_registered_email_is_refused(api_client):
    PortalCustomerFactory(email="jane@example.com")

    response = api_client.post(SIGN_UP, _body(email="Jane@Example.com"), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.filter(email="jane@example.com").count() == 1


def test_real_form_requires_its_configured_fields_and_the_demo_form_does_not(api_client):
    CustomerFieldConfiguration.objects.filter(field="phone").update(step="SignupRealForm", required=True)

    real = api_client.post(SIGN_UP, _body(form="real"), format="json")
    demo = api_client.post(SIGN_UP, _body(form="demo"), format="json")

    assert real.status_code == 400
    assert real.json()["error"]["fields"] == {"phone": ["This field is required."]}
    assert demo.status_code == 201


@pytest.mark.parametrize("form", ["demo", "real"])
def test_the_sign_up_form_configuration_reports_exactly_the_fields_sign_up_requires(api_client, form):
    CustomerFieldConfiguration.objects.filter(field="first_name").update(step=None, required=False)
    CustomerFieldConfiguration.objects.filter(field="last_name").update(step=f"Signup{form.title()}Form")
    step = f"Signup{form.title()}Form"
    configured = api_client.get(url("onboarding-forms", step)).json()
    required = {row["field"] for row in configured if row["required"]}
    values = {"last_name": "Doe", "phone": "+447911123456", "country": "GB", "first_name": "Jane"}
    body = {"form": form, "password": PASSWORD}

    refusals = {
        name: api_client.post(SIGN_UP, {**body, **values, name: "", "email": f"{name}@example.com"}).status_code
        for name in values
    }
    accepted = api_client.post(
        SIGN_UP, {**body, **{name: values[name] for name in required}, "email": "jane@example.com"}
    )

    assert "first_name" in required
    assert {name for name, status in refusals.items() if status == 400} == required
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("extra", "code", "field", "_case"),
    [
        ({"country": "US"}, "country_not_allowed", "country", "disabled country"),
        ({"country": "FR"}, "country_not_allowed", "country", "country without a row"),
        ({"password": "12345"}, "weak_password", "password", "weak password"),
        ({"first_name": ""}, "validation_error", "first_name", "no first name"),
        ({"form": "vip"}, "validation_error", "form", "unknown form"),
        ({"phone": "not a phone"}, "validation_error", "phone", "bad phone"),
    ],
)
def test_bad_sign_up_is_refused_with_a_field_error_and_creates_nothing(api_client, extra, code, field, _case):
    response = api_client.post(SIGN_UP, _body(**extra), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["fields"]
    assert not User.objects.filter(email="jane@example.com").exists()
    assert not Customer.objects.exists()
    assert mail.outbox == []


@pytest.fixture
def recaptcha(db):
    set_setting("recaptcha.site_key", "site-key")
    set_setting("recaptcha.secret", "captcha-secret", is_secret=True)
    set_setting("recaptcha.score", "0.5", value_type="decimal")


@pytest.mark.parametrize(
    ("answer", "status"),
    [({"success": True, "score": 0.9}, 201), ({"success": True, "score": 0.1}, 400), ({"success": False}, 400)],
)
def test_sign_up_checks_the_captcha_when_configured(api_client, recaptcha, answer, status):
    reply = http.HttpResponse(status=200, body=__import__("json").dumps(answer).encode())
    with mock.patch("crm.core.captcha.http.send", return_value=reply) as send:
        response = api_client.post(SIGN_UP, _body(captcha_token="tok"), format="json")

    assert response.status_code == status
    assert b"secret=captcha-secret" in send.call_args.kwargs["body"]
    assert Customer.objects.exists() is (status == 201)


def test_sign_up_without_a_captcha_token_is_refused_when_configured(api_client, recaptcha):
    with mock.patch("crm.core.captcha.http.send") as send:
        response = api_client.post(SIGN_UP, _body(), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "captcha_failed"
    send.assert_not_called()


def test_sign_up_is_throttled(api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/minute"})

    answers = [
        api_client.post(SIGN_UP, _body(email=f"user{n}@example.com"), format="json").status_code for n in range(3)
    ]

    assert answers == [201, 201, 429]
    assert Customer.objects.count() == 2
