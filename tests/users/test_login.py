"""The admin log-in: django-axes lock-out, the one-time code for staff with two-factor, no service accounts."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from crm.core.roles import Role
from tests.users.factories import (
    DEFAULT_PASSWORD,
    ApiTokenFactory,
    StaffUserFactory,
    TOTPDeviceFactory,
    UserFactory,
    totp_now,
)

pytestmark = pytest.mark.django_db
LOGIN_URL = reverse("admin:login")
INDEX_URL = reverse("admin:index")


def _login(client, email, password=DEFAULT_PASSWORD, otp_token=""):
    return client.post(LOGIN_URL, {"username": email, "password": password, "otp_token": otp_token, "next": INDEX_URL})


def _logged_in(client) -> bool:
    return client.get(INDEX_URL).status_code == 200


def test_login_page_has_the_one_time_code_field(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()


def test_staff_without_a_device_logs_in_with_the_password(client):
    staff = StaffUserFactory(roles=[Role.SALES_AGENT])

    response = _login(client, staff.email)

    assert response.status_code == 302
    assert response["Location"] == INDEX_URL
    assert _logged_in(client)


def test_wrong_password_is_refused(client):
    staff = StaffUserFactory()

    response = _login(client, staff.email, password="wrong password")

    assert response.status_code == 200
    assert not _logged_in(client)


def test_client_without_staff_access_is_refused(client):
    customer_user = UserFactory()

    response = _login(client, customer_user.email)

    assert response.status_code == 200
    assert not _logged_in(client)


def test_service_account_cannot_log_into_the_admin(client):
    token = ApiTokenFactory()
    service_user = token.user
    service_user.set_password(DEFAULT_PASSWORD)  # even if someone gave it a password
    service_user.save()

    response = _login(client, service_user.email)

    assert response.status_code == 200
    assert not _logged_in(client)


def test_service_account_session_is_not_let_into_the_admin(client):
    token = ApiTokenFactory()
    client.force_login(token.user)

    response = client.get(INDEX_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_staff_with_a_device_is_refused_without_a_code(client):
    device = TOTPDeviceFactory()

    response = _login(client, device.user.email)

    assert response.status_code == 200
    assert "Enter the one-time code" in response.content.decode()
    assert not _logged_in(client)


def test_staff_with_a_device_is_refused_with_a_wrong_code(client):
    device = TOTPDeviceFactory()
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"

    response = _login(client, device.user.email, otp_token=wrong)

    assert response.status_code == 200
    assert "one-time code is not valid" in response.content.decode()
    assert not _logged_in(client)


def test_staff_with_a_device_logs_in_with_the_right_code(client):
    device = TOTPDeviceFactory()

    response = _login(client, device.user.email, otp_token=totp_now(device))

    assert response.status_code == 302
    assert _logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_unconfirmed_device_does_not_ask_for_a_code(client):
    device = TOTPDeviceFactory(confirmed=False)

    response = _login(client, device.user.email)

    assert response.status_code == 302


def test_lock_out_after_the_failure_limit(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    staff = StaffUserFactory()

    for _ in range(3):
        _login(client, staff.email, password="wrong password")
    locked = _login(client, staff.email)  # the right password, while locked

    assert locked.status_code == 429
    content = locked.content.decode()
    assert "Log-in locked" in content
    assert "blocked for <strong>30\xa0minutes</strong>" in content
    assert not _logged_in(client)
    assert AccessAttempt.objects.get(username=staff.email).failures_since_start >= 3


def test_failures_below_the_limit_do_not_lock(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    staff = StaffUserFactory()

    for _ in range(2):
        _login(client, staff.email, password="wrong password")
    response = _login(client, staff.email)

    assert response.status_code == 302
    assert _logged_in(client)


def test_wrong_one_time_codes_count_towards_the_lock_out(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    device = TOTPDeviceFactory()

    for _ in range(2):
        _login(client, device.user.email, otp_token="000000")
    response = _login(client, device.user.email, otp_token=totp_now(device))

    assert response.status_code == 429
    assert not _logged_in(client)


def test_axes_is_off_in_tests_unless_turned_on(client):
    staff = StaffUserFactory()

    for _ in range(10):
        _login(client, staff.email, password="wrong password")

    assert _login(client, staff.email).status_code == 302
