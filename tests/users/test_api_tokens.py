"""API tokens as an integration uses them: the Authorization header against a real DRF view."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.core.roles import Role
from crm.customers.models import Customer
from crm.users import services
from crm.users.models import ApiToken
from tests.customers.factories import CustomerFactory
from tests.users.factories import ApiTokenFactory, role

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.users.urls")]
URL = "/token-probe/"


def _get(api_client, raw_key, ip="203.0.113.5"):
    return api_client.get(URL, HTTP_AUTHORIZATION=f"Token {raw_key}", REMOTE_ADDR=ip)


def test_token_authenticates_as_its_service_account(api_client):
    token = ApiTokenFactory()

    response = _get(api_client, token.raw_key)

    assert response.status_code == 200
    assert response.json()["email"] == token.user.email
    assert response.json()["token"] == token.pk


@pytest.mark.parametrize(
    ("role_name", "expected", "_case"),
    [
        (Role.SALES_AGENT, {"view_customer": True, "view_all_customers": False, "manage_kyc": False}, "agent"),
        (Role.SALES_MANAGER, {"view_customer": True, "view_all_customers": True, "manage_kyc": False}, "manager"),
        (Role.COMPLIANCE, {"view_customer": True, "view_all_customers": True, "manage_kyc": True}, "compliance"),
        (Role.FINANCE, {"view_customer": True, "view_all_customers": True, "manage_kyc": False}, "finance"),
    ],
)
def test_token_acts_with_exactly_its_role_permissions(api_client, role_name, expected, _case):
    token = ApiTokenFactory(role=role(role_name))

    body = _get(api_client, token.raw_key).json()

    assert {key: body[key] for key in expected} == expected


def test_token_of_a_role_without_view_all_sees_no_clients():
    CustomerFactory.create_batch(2)
    token = ApiTokenFactory(role=role(Role.SALES_AGENT))

    assert list(Customer.objects.visible_to(token.user)) == []


def test_unknown_key_is_refused_with_the_error_body(api_client):
    ApiTokenFactory()

    response = _get(api_client, "not-a-real-key")

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_refused", "message": "Invalid token."}}


def test_missing_header_is_refused(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_expired_token_is_refused_with_the_error_body(api_client):
    token = ApiTokenFactory(expires_at=timezone.now() + dt.timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = _get(api_client, token.raw_key)

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_expired", "message": "The token has expired."}}
    assert response["WWW-Authenticate"] == "Token"


def test_token_expiring_later_is_accepted(api_client):
    token = ApiTokenFactory(expires_at=timezone.now() + dt.timedelta(hours=1))

    assert _get(api_client, token.raw_key).status_code == 200


def test_allow_list_accepts_an_address_inside_its_network(api_client):
    token = ApiTokenFactory(allowed_ips=["10.0.0.0/8", "192.0.2.7"])

    assert _get(api_client, token.raw_key, ip="10.20.30.40").status_code == 200
    assert _get(api_client, token.raw_key, ip="192.0.2.7").status_code == 200


def test_allow_list_refuses_other_addresses(api_client):
    token = ApiTokenFactory(allowed_ips=["10.0.0.0/8"])

    response = _get(api_client, token.raw_key, ip="11.0.0.1")

    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "token_ip_not_allowed", "message": "The token is not allowed from this IP address."}
    }


def test_allow_list_change_takes_effect_at_once(api_client):
    token = ApiTokenFactory(allowed_ips=["10.0.0.0/8"])

    services.update_api_token_allowed_ips(token, allowed_ips="11.0.0.0/24", actor=None)

    assert _get(api_client, token.raw_key, ip="10.0.0.1").status_code == 401
    assert _get(api_client, token.raw_key, ip="11.0.0.9").status_code == 200


def test_deleted_token_is_refused(api_client):
    token = ApiTokenFactory()

    services.delete_api_token(token, actor=None)

    assert _get(api_client, token.raw_key).status_code == 401


def test_use_is_recorded_with_time_and_address(api_client):
    token = ApiTokenFactory()

    _get(api_client, token.raw_key, ip="198.51.100.4")

    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.4"
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=5)


def test_repeated_calls_do_not_write_the_last_use_each_time(api_client, django_assert_num_queries):
    token = ApiTokenFactory()
    _get(api_client, token.raw_key)

    with django_assert_num_queries(2) as captured:  # token lookup + the probe's permission read
        _get(api_client, token.raw_key)

    assert [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")] == []


def test_last_use_is_written_again_after_the_interval(api_client):
    token = ApiTokenFactory()
    _get(api_client, token.raw_key, ip="198.51.100.4")
    earlier = timezone.now() - services.TOKEN_TOUCH_INTERVAL - dt.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)

    _get(api_client, token.raw_key, ip="198.51.100.9")

    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.9"
    assert token.last_used_at > earlier
