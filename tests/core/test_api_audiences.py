"""Each API audience accepts exactly its own credentials, and refusals of a token read as the error body says."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken

from crm.core.roles import Role
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.users.factories import ApiTokenFactory, role

pytestmark = pytest.mark.django_db
PORTAL_PROFILE = reverse("portal:account-profile")
BACKOFFICE_CUSTOMERS = reverse("backoffice:customer-list")


def test_a_client_jwt_does_not_authenticate_on_the_back_office(api_client):
    bearer(api_client, PortalCustomerFactory())

    response = api_client.get(BACKOFFICE_CUSTOMERS)

    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def test_a_staff_api_token_does_not_authenticate_on_the_portal(api_client):
    token = ApiTokenFactory(role=role(Role.ADMIN))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.raw_key}")

    response = api_client.get(PORTAL_PROFILE)

    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def test_a_staff_session_does_not_authenticate_on_the_portal(client, admin_staff):
    client.force_login(admin_staff)

    response = client.get(PORTAL_PROFILE)

    assert response.status_code == 401


def test_log_in_ignores_a_stale_token_left_in_the_client(api_client):
    customer = PortalCustomerFactory()
    customer.user.set_password("a long enough passphrase 42")
    customer.user.save()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = api_client.post(
        reverse("portal:auth-log-in"), {"email": customer.email, "password": "a long enough passphrase 42"}
    )

    assert response.status_code == 200
    assert {"access", "refresh"} <= set(response.json())


def test_an_expired_access_token_answers_token_not_valid_with_a_human_message(api_client):
    customer = PortalCustomerFactory()
    token = AccessToken.for_user(customer.user)
    token.set_exp(lifetime=-dt.timedelta(minutes=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(PORTAL_PROFILE)

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_not_valid", "message": "Token is expired"}}


def test_a_malformed_access_token_answers_token_not_valid_with_a_human_message(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.get(PORTAL_PROFILE)

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_not_valid", "message": "Token is invalid"}}


@pytest.mark.parametrize("path", ["/api/v1/portal/no-such-thing/", "/api/nothing/", "/webhooks/x/y/z/"])
def test_an_unknown_api_path_answers_json_with_debug_on(client, path):
    with override_settings(DEBUG=True):
        response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}
