"""Issue 11, finding 1: the caller's address is read in one place, and a made-up X-Forwarded-For changes nothing.

Throttles, the admin lock-out, login records, the activity log and API-token allow-lists all follow
`crm.core.middleware.client_ip`: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many proxies append to the
header.
"""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from crm.core.middleware import client_ip
from crm.users.models import LoginRecord
from tests.customers.factories import PortalCustomerFactory
from tests.customers.portal import url
from tests.users.factories import ApiTokenFactory, StaffUserFactory

pytestmark = pytest.mark.django_db
LOG_IN = url("auth-log-in")


@pytest.fixture
def auth_limit_of_two(monkeypatch):
    from crm.core.api.throttling import ClientAddressThrottle

    monkeypatch.setattr(ClientAddressThrottle, "THROTTLE_RATES", {"auth": "2/minute", "anon": None, "user": None})


def test_a_made_up_forwarded_for_does_not_reset_the_log_in_limit(api_client, auth_limit_of_two):
    customer = PortalCustomerFactory()
    body = {"email": customer.email, "password": "wrong password"}

    answers = [api_client.post(LOG_IN, body, format="json").status_code for _ in range(2)]
    spoofed = [
        api_client.post(LOG_IN, body, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(1, 4)
    ]

    assert answers == [401, 401]
    assert spoofed == [429, 429, 429]
    assert LoginRecord.objects.count() == 2


def test_the_limit_holds_for_the_caller_whatever_x_real_ip_says(api_client, auth_limit_of_two):
    body = {"contact": "nobody@example.com"}
    reset = url("auth-request-password-reset")

    answers = [
        api_client.post(reset, body, format="json", HTTP_X_REAL_IP=f"198.51.100.{n}").status_code for n in range(3)
    ]

    assert answers == [200, 200, 429]


def test_another_address_has_its_own_limit(api_client, auth_limit_of_two):
    body = {"contact": "nobody@example.com"}
    reset = url("auth-request-password-reset")

    mine = [api_client.post(reset, body, format="json").status_code for _ in range(3)]
    other = api_client.post(reset, body, format="json", REMOTE_ADDR="192.0.2.50")

    assert mine == [200, 200, 429]
    assert other.status_code == 200


def test_login_records_keep_the_peer_address_not_the_header(api_client):
    customer = PortalCustomerFactory()

    api_client.post(
        LOG_IN,
        {"email": customer.email, "password": "wrong password"},
        format="json",
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )

    assert LoginRecord.objects.get().ip_address == "192.0.2.10"


def test_an_ip_allow_list_is_not_opened_by_the_header(api_client):
    token = ApiTokenFactory(allowed_ips=["203.0.113.5"])

    response = api_client.get(
        reverse("backoffice:customer-list"),
        HTTP_AUTHORIZATION=f"Token {token.raw_key}",
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_ip_not_allowed"


def test_the_admin_lock_out_counts_the_peer_whatever_the_header(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    staff = StaffUserFactory()
    login = reverse("admin:login")

    for n in range(2):
        client.post(login, {"username": staff.email, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    locked = client.post(login, {"username": staff.email, "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.77")

    assert locked.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected", "_case"),
    [
        (0, "203.0.113.9", "10.0.0.5", "no proxy: the header is ignored"),
        (1, "203.0.113.9", "203.0.113.9", "one proxy: its entry"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9", "one proxy: what the client wrote is ignored"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.4", "203.0.113.9", "two proxies: second from the right"),
        (2, "203.0.113.9", "10.0.0.5", "fewer entries than proxies: not through the proxies"),
        (1, "not-an-address", "10.0.0.5", "garbage: the peer"),
        (1, "", "10.0.0.5", "no header: the peer"),
        (1, " 2001:db8::1 ", "2001:db8::1", "IPv6, spaces trimmed"),
    ],
)
def test_client_ip_with_trusted_proxies(settings, proxies, forwarded, expected, _case):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_behind_a_trusted_proxy_the_throttle_tells_callers_apart_by_the_proxy_entry(
    api_client, settings, auth_limit_of_two
):
    settings.TRUSTED_PROXY_COUNT = 1
    body = {"contact": "nobody@example.com"}
    reset = url("auth-request-password-reset")

    def ask(forwarded):
        return api_client.post(reset, body, format="json", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)

    first = [ask("203.0.113.1").status_code for _ in range(3)]
    prefixed = ask("6.6.6.6, 203.0.113.1")
    second = ask("203.0.113.2")

    assert first == [200, 200, 429]
    assert prefixed.status_code == 429
    assert second.status_code == 200
