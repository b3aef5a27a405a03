"""Every route that reads a JSON body answers a body nested too deep with 400 in its caller's error shape
(issue 11, finding 4's class): the API's `{"error": {...}}`, the seed's body on the seed-003 routes.

The routes are found, not listed: every POST, PUT and PATCH of the program paths (`routes.program_routes`)
whose OpenAPI operation takes `application/json`, plus the webhooks, which read JSON outside DRF. Each is
sent 100 KB of nested brackets by a caller who gets past authentication and permissions (so the body is
really read): an Admin-role API token on the back office, the object's owner on the portal and affiliate
APIs, credentials of the right kind on the public routes, a valid signature on the webhooks (whose answer is
`{"error": {"code": "invalid_body"}}`). Objects come
from the access matrix's builders (`forbidden.py`).
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.core.services import set_setting
from crm.payments.adapters import get_adapter
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.harness import bodies
from tests.harness.callers import owner
from tests.harness.forbidden import EXEMPT, FORBIDDEN, Victim
from tests.harness.routes import Route, program_routes
from tests.payments.factories import PaymentProviderFactory
from tests.trading.factories import TradingAccountFactory
from tests.users.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

NESTED = b"[" * 50_000 + b"]" * 50_000
API_ERROR = "api"
SEED_003_BUCKETS = {"message": "Request body must be JSON", "statusCode": 400}
SEED_003_SIGNUP = {"message": "Email, phone and first name are required", "providerStatus": 400}
# Routes outside DRF that read a JSON body; their callers and expected answers are set up below.
WEBHOOKS = {"customers:sumsub-webhook POST", "payments:webhook POST"}


def json_routes() -> list[Route]:
    found = []
    for route in program_routes():
        if route.method not in ("POST", "PUT", "PATCH"):
            continue
        operation = bodies.operation(route.path, route.method) or {}
        if "application/json" in operation.get("requestBody", {}).get("content", {}) or route.id in WEBHOOKS:
            found.append(route)
    return found


def _admin_token(client: APIClient, route: Route) -> None:
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.ADMIN)))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.raw_key}")


def _seed_token(client: APIClient, route: Route) -> dict:
    token = ApiTokenFactory()
    token.user.user_permissions.add(
        Permission.objects.get(codename="view_own_buckets"), Permission.objects.get(codename="add_customer")
    )
    if route.name == "tradersroom-signup":
        client.credentials(HTTP_X_API_KEY=token.raw_key)
        return SEED_003_SIGNUP
    client.credentials(HTTP_AUTHORIZATION=token.raw_key)
    return SEED_003_BUCKETS


def _sumsub(client: APIClient, route: Route) -> dict:
    set_setting("sumsub.webhook_secret_key", "whsec", is_secret=True)
    client.credentials(HTTP_X_PAYLOAD_DIGEST=hmac.new(b"whsec", NESTED, hashlib.sha256).hexdigest())
    return {}


def _sandbox(client: APIClient, route: Route) -> dict:
    provider = PaymentProviderFactory()
    client.credentials(HTTP_X_SANDBOX_SIGNATURE=get_adapter(provider).sign(NESTED))
    return {}


def _trader(client: APIClient, route: Route) -> None:
    """Seed 001's trader API: a client's JWT and one of their trading accounts (the body is read next)."""
    customer = PortalCustomerFactory()
    account = TradingAccountFactory(customer=customer)
    tokens = bearer(client, customer)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}", HTTP_ACCOUNTID=account.number)


def _backapi_kwargs(route: Route) -> dict:
    """Seed 001's back-office paths (outside /api/, not in the access matrix): a profile, a rule, an asset, a user."""
    from crm.trading.models import Asset, CommissionProfile, CommissionRule

    profile = CommissionProfile.objects.create(name=f"Limits {route.name}")
    rule = CommissionRule.objects.create(profile=profile, priority=1)
    asset = Asset.objects.create(code=f"L{profile.pk}", name="Limits")
    kwargs = {"profile_id": profile.pk, "rule_id": rule.pk, "asset_id": asset.code}
    if "user_id" in route.kwargs:  # a client the admin token sees (opening an account reads the body next)
        from tests.customers.factories import CustomerFactory

        kwargs["user_id"] = CustomerFactory().pk
    return {name: kwargs[name] for name in route.kwargs}


def _url_kwargs(route: Route, victim: Victim) -> dict:
    if not route.kwargs:
        return {}
    if route.namespace == "trader-compat":
        return dict.fromkeys(route.kwargs, "1")  # the body is read before the object is looked up
    if route.id == "payments:webhook POST":
        return {"provider": PaymentProviderFactory().code}
    if route.namespace == "trading-backapi":
        return _backapi_kwargs(route)
    target = (FORBIDDEN.get(route.resource) or EXEMPT[route.resource]).build(victim)
    return {name: value() if callable(value) else value for name, value in target.kwargs.items()}


def set_up(client: APIClient, route: Route, victim: Victim) -> dict | str:
    """Credentials that reach the body; returns the expected 400 body, or API_ERROR for the API's shape."""
    if route.id == "customers:sumsub-webhook POST":
        return _sumsub(client, route)
    if route.id == "payments:webhook POST":
        return _sandbox(client, route)
    if route.namespace == "affiliates-compat":
        return _seed_token(client, route)
    if route.namespace == "trader-compat":
        _trader(client, route)
        return API_ERROR
    staff_paths = ("reports", "trading-backapi")  # the trading platform's staff paths at the seed's addresses
    if route.audience == "backoffice" or route.namespace in staff_paths:
        _admin_token(client, route)
    elif route.audience in ("portal", "affiliate"):
        owner(client, victim, route)
    return API_ERROR


ROUTES = json_routes()


def test_the_routes_are_found():
    ids = {route.id for route in ROUTES}

    assert ids | {"payments:provider-webhook POST"} >= WEBHOOKS
    assert {
        "portal:account-profile PATCH",
        "affiliates-compat:bucket-leads POST",
        "trader-compat:v4-close POST",
    } <= ids
    assert len(ROUTES) > 40


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_a_deeply_nested_body_is_a_400_in_the_callers_shape(route, settings):
    settings.DEBUG = True  # the refusal must not be Django's technical page either
    victim = Victim()
    client = APIClient()
    expected = set_up(client, route, victim)
    url = route.url(_url_kwargs(route, victim)) if route.kwargs else route.url({})

    response = getattr(client, route.method.lower())(url, data=NESTED, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    if expected == API_ERROR:
        assert response.json()["error"]["code"] == "parse_error"
    elif expected:
        assert response.json() == expected
    else:
        assert response.json()["error"]["code"] == "invalid_body"
