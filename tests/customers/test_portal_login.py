"""Portal log-in, token refresh and log-out through the API, with every refusal."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from crm.customers.models import Customer, OnboardingStepConfiguration
from crm.users import security
from crm.users.models import LoginRecord
from tests.customers.factories import PortalCustomerFactory
from tests.customers.portal import url
from tests.users.factories import DEFAULT_PASSWORD, StaffUserFactory, totp_now
from tests.wallets.test_concurrency import run_together

pytestmark = pytest.mark.django_db
LOG_IN = url("auth-log-in")
REFRESH = url("auth-refresh")
LOG_OUT = url("auth-log-out")
PROFILE = url("account-profile")


def _log_in(api_client, email, password=DEFAULT_PASSWORD, **extra):
    return api_client.post(LOG_IN, {"email": email, "password": password, **extra}, format="json")


def test_log_in_returns_tokens_that_open_the_portal(api_client):
    customer = PortalCustomerFactory()

    response = _log_in(api_client, customer.email.upper(), device={"platform": "ios", "user_agent": "App/1.0"})

    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["email"] == customer.email
    assert data["pending_steps"] == {}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert api_client.get(PROFILE).json()["id"] == customer.pk
    record = LoginRecord.objects.get(user=customer.user)
    assert (record.result, record.reason, record.ip_address) == ("success", "password", "127.0.0.1")
    assert customer.user.devices.get().platform == "ios"
    customer.refresh_from_db()
    assert customer.last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password", "_case"),
    [("client@example.com", "wrong password", "wrong password"), ("nobody@example.com", DEFAULT_PASSWORD, "unknown")],
)
def test_wrong_credentials_are_refused_and_recorded(api_client, email, password, _case):
    PortalCustomerFactory(email="client@example.com")

    response = _log_in(api_client, email, password)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    record = LoginRecord.objects.get(email=email)
    assert (record.result, record.reason) == ("failure", "bad_credentials")


def test_repeated_failures_lock_the_email_out_even_with_the_right_password(api_client, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 3
    customer = PortalCustomerFactory()
    for _ in range(3):
        assert _log_in(api_client, customer.email, "wrong password").status_code == 401

    response = _log_in(api_client, customer.email)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "login_locked"
    assert LoginRecord.objects.filter(email=customer.email, reason="locked").count() == 1
    assert not LoginRecord.objects.filter(result="success").exists()


def test_the_lock_out_ends_after_its_window(api_client, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 2
    customer = PortalCustomerFactory()
    for _ in range(2):
        _log_in(api_client, customer.email, "wrong password")
    settings.PORTAL_LOGIN_LOCKOUT_MINUTES = 0

    assert _log_in(api_client, customer.email).status_code == 200


def test_a_success_resets_the_failure_count(api_client, settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 2
    customer = PortalCustomerFactory()
    _log_in(api_client, customer.email, "wrong password")
    assert _log_in(api_client, customer.email).status_code == 200

    _log_in(api_client, customer.email, "wrong password")

    assert _log_in(api_client, customer.email).status_code == 200


def test_pending_before_sign_in_steps_refuse_the_log_in_naming_them(api_client):
    OnboardingStepConfiguration.objects.filter(step__in=["EmailConfirmation", "PhoneConfirmation"]).update(
        stage="BeforeSignIn"
    )
    customer = PortalCustomerFactory(confirmed_at=None)

    response = _log_in(api_client, customer.email)

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "onboarding_incomplete"
    assert error["fields"] == {
        "pending_steps": ["EmailConfirmation", "PhoneConfirmation"],
        "next_step": ["complete_onboarding"],
    }
    assert "EmailConfirmation" in error["message"]
    assert LoginRecord.objects.get(email=customer.email).reason == "onboarding"


@pytest.mark.parametrize(
    ("status", "_case"), [(Customer.Status.BANNED, "banned"), (Customer.Status.DELETED, "deleted")]
)
def test_banned_or_deleted_clients_cannot_log_in(api_client, status, _case):
    customer = PortalCustomerFactory(status=status)

    response = _log_in(api_client, customer.email)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_not_allowed"


def test_staff_cannot_log_into_the_portal(api_client):
    staff = StaffUserFactory()

    response = _log_in(api_client, staff.email)

    assert response.status_code == 403


def test_a_jwt_for_a_staff_user_is_refused(api_client):
    staff = StaffUserFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {security.issue_tokens(staff)['access']}")

    assert api_client.get(PROFILE).status_code == 401


def test_a_forged_jwt_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.forged")

    assert api_client.get(PROFILE).status_code == 401


def test_two_factor_asks_for_a_code_then_accepts_it(api_client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code
    customer = PortalCustomerFactory()
    device = TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)

    without = _log_in(api_client, customer.email)
    wrong = _log_in(api_client, customer.email, otp_code="000000")
    right = _log_in(api_client, customer.email, otp_code=totp_now(device))

    assert (without.status_code, without.json()["error"]["code"]) == (401, "otp_required")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_otp")
    assert right.status_code == 200
    reasons = list(LoginRecord.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["otp_required", "bad_otp", "password"]


def test_a_recovery_code_logs_in_once(api_client):
    customer = PortalCustomerFactory()
    TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)
    code = security.new_recovery_codes(customer.user)[0]

    first = _log_in(api_client, customer.email, otp_code=code)
    again = _log_in(api_client, customer.email, otp_code=code)

    assert first.status_code == 200
    assert again.status_code == 401


def test_log_in_is_throttled(api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/minute"})
    customer = PortalCustomerFactory()

    answers = [_log_in(api_client, customer.email).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert LoginRecord.objects.count() == 3


# Refresh and log-out ---------------------------------------------------------------------------


def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(api_client):
    customer = PortalCustomerFactory()
    tokens = _log_in(api_client, customer.email).json()

    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    assert (again.status_code, again.json()["error"]["code"]) == (401, "invalid_token")


def test_refresh_with_a_garbage_token_is_refused(api_client):
    response = api_client.post(REFRESH, {"refresh": "garbage"}, format="json")

    assert response.status_code == 401


def test_refresh_is_refused_once_the_client_is_banned(api_client):
    customer = PortalCustomerFactory()
    tokens = _log_in(api_client, customer.email).json()
    Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.BANNED)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401


def test_log_out_revokes_the_refresh_token(api_client):
    customer = PortalCustomerFactory()
    tokens = _log_in(api_client, customer.email).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(LOG_OUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 200
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_log_out_refuses_someone_elses_refresh_token(api_client):
    customer, other = PortalCustomerFactory(), PortalCustomerFactory()
    other_tokens = security.issue_tokens(other.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {security.issue_tokens(customer.user)['access']}")

    response = api_client.post(LOG_OUT, {"refresh": other_tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert api_client.post(REFRESH, {"refresh": other_tokens["refresh"]}, format="json").status_code == 200


def test_log_out_needs_a_logged_in_client(api_client):
    response = api_client.post(LOG_OUT, {"refresh": "x"}, format="json")

    assert response.status_code == 401


# Single use under concurrency (issue 11, finding 2's class) -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_refresh_token_used_concurrently_gives_one_new_pair():
    refresh = security.issue_tokens(PortalCustomerFactory().user)["refresh"]

    answers = run_together([lambda: APIClient().post(REFRESH, {"refresh": refresh}, format="json") for _ in range(6)])

    assert sorted(answer.status_code for answer in answers) == [200] + [401] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_used_concurrently_opens_one_session():
    customer = PortalCustomerFactory()
    TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)
    code = security.new_recovery_codes(customer.user)[0]

    answers = run_together([lambda: _log_in(APIClient(), customer.email, otp_code=code) for _ in range(6)])

    assert sorted(answer.status_code for answer in answers) == [200] + [401] * 5
    assert LoginRecord.objects.filter(result="success").count() == 1
