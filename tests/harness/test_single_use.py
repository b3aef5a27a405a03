"""Everything that must happen once happens once, whatever the processes and the cache (issue 11, finding 2).

Each single-use secret of the product is redeemed by 8 requests sent at once to a gunicorn server with 4
worker processes and no Redis (each worker's cache is its own memory, as in the embedded default the README
allows): exactly one request succeeds. A new kind of one-time token (`OneTimeToken.Purpose`) fails
`test_every_kind_of_single_use_secret_is_tried` until it has a case here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.affiliates import services_api
from crm.customers.models import Customer
from crm.users import security
from crm.users.models import LoginRecord, OneTimeToken
from tests.customers.factories import PortalCustomerFactory
from tests.harness.server import Answer, Server
from tests.users.factories import DEFAULT_PASSWORD, TOTPDeviceFactory, totp_now

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMES = 8
NEW_PASSWORD = "a brand new passphrase 42"
# Single-use secrets that are not one-time token rows.
OTHER_SECRETS = {"totp_code", "recovery_code", "refresh_token", "staff_totp_code"}


@dataclass(frozen=True)
class Redemption:
    """One request to send `TIMES` times at once, and what a success looks like."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    success: int = 200

    def send(self, server: Server) -> list[Answer]:
        return server.together(TIMES, self.method, self.path, body=self.body, headers=self.headers)


def _json(method: str, path: str, data: dict, headers: dict[str, str] | None = None, **extra) -> Redemption:
    return Redemption(
        method, path, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}, **extra
    )


def _portal(name: str) -> str:
    return reverse(f"portal:{name}")


def _log_in(customer: Customer, otp_code: str) -> Redemption:
    body = {"email": customer.email, "password": DEFAULT_PASSWORD, "otp_code": otp_code}
    return _json("POST", _portal("auth-log-in"), body)


def autologin(server: Server) -> Redemption:
    token, _ = services_api.issue_autologin_token(PortalCustomerFactory())
    return _json("POST", _portal("autologin-list"), {"token": token})


def email_confirmation(server: Server) -> Redemption:
    customer = PortalCustomerFactory(confirmed_at=None)
    _, raw = security.issue_one_time_token(
        customer.user,
        purpose=OneTimeToken.Purpose.EMAIL_CONFIRMATION,
        sent_to=customer.email,
        lifetime=dt.timedelta(minutes=60),
    )
    return _json("POST", _portal("auth-verify-email"), {"token": raw})


def phone_confirmation(server: Server) -> Redemption:
    customer = PortalCustomerFactory()
    _, code = security.issue_one_time_token(
        customer.user,
        purpose=OneTimeToken.Purpose.PHONE_CONFIRMATION,
        sent_to=str(customer.phone),
        lifetime=dt.timedelta(minutes=10),
        short_code=True,
    )
    access = security.issue_tokens(customer.user)["access"]
    return _json("POST", _portal("auth-verify-phone"), {"code": code}, {"Authorization": f"Bearer {access}"})


def password_reset(server: Server) -> Redemption:
    customer = PortalCustomerFactory()
    _, raw = security.issue_one_time_token(
        customer.user,
        purpose=OneTimeToken.Purpose.PASSWORD_RESET,
        sent_to=customer.email,
        lifetime=dt.timedelta(minutes=60),
    )
    body = {"reset_token": raw, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    return _json("POST", _portal("auth-reset-password"), body)


def totp_code(server: Server) -> Redemption:
    customer = PortalCustomerFactory()
    device = TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)
    return _log_in(customer, totp_now(device))


def recovery_code(server: Server) -> Redemption:
    customer = PortalCustomerFactory()
    TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)
    return _log_in(customer, security.new_recovery_codes(customer.user)[0])


def refresh_token(server: Server) -> Redemption:
    refresh = security.issue_tokens(PortalCustomerFactory().user)["refresh"]
    return _json("POST", _portal("auth-refresh"), {"refresh": refresh})


def staff_totp_code(server: Server) -> Redemption:
    """The admin log-in form with a staff member's authenticator code (CSRF token and cookie from the page)."""
    device = TOTPDeviceFactory()
    login = reverse("admin:login")
    page = server.request("GET", login)
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
    form = {
        "csrfmiddlewaretoken": csrf,
        "username": device.user.email,
        "password": DEFAULT_PASSWORD,
        "otp_token": totp_now(device),
        "next": reverse("admin:index"),
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={page.cookie('csrftoken')}",
        "Referer": server.url + login,
    }
    return Redemption("POST", login, urlencode(form).encode(), headers, success=302)


CASES: dict[str, Callable[[Server], Redemption]] = {
    OneTimeToken.Purpose.AUTOLOGIN: autologin,
    OneTimeToken.Purpose.EMAIL_CONFIRMATION: email_confirmation,
    OneTimeToken.Purpose.PHONE_CONFIRMATION: phone_confirmation,
    OneTimeToken.Purpose.PASSWORD_RESET: password_reset,
    "totp_code": totp_code,
    "recovery_code": recovery_code,
    "refresh_token": refresh_token,
    "staff_totp_code": staff_totp_code,
}


@pytest.fixture
def server(transactional_db, tmp_path):
    running = Server(folder=tmp_path).start()
    yield running
    running.stop()


def test_every_kind_of_single_use_secret_is_tried():
    assert set(CASES) == set(OneTimeToken.Purpose.values) | OTHER_SECRETS


def test_each_single_use_secret_works_once_across_processes(server):
    outcomes, successes = {}, {}
    for name, make in CASES.items():
        redemption = make(server)
        statuses = sorted(answer.status for answer in redemption.send(server))
        outcomes[name] = statuses
        successes[name] = statuses.count(redemption.success)

    assert successes == dict.fromkeys(CASES, 1), f"{outcomes}\n{server.output()[-4000:]}"
    assert all(0 not in statuses and 500 not in statuses for statuses in outcomes.values()), outcomes
    # Sessions opened: one each by the auto-login link, the authenticator code and the recovery code.
    assert LoginRecord.objects.filter(result="success").count() == 3
