"""Every throttled route keeps its limit whatever X-Forwarded-For says (issue 11, finding 1's class).

DRF identifies an anonymous caller by `X-Forwarded-For` unless told otherwise, so a made-up header made
every limit a suggestion. Every throttle of the project derives from `ClientAddressThrottle`, which reads the
address where `crm.core.middleware.client_ip` does; `test_every_throttle_reads_the_client_address` checks that
for every view of the URL configuration, so a new throttle cannot skip it. Then every route is called twice
by an anonymous caller with every rate set to one request a minute, each time with another made-up
`X-Forwarded-For` (and `X-Real-IP`): wherever the first request got past authentication and permissions to
the throttles, the second must be refused with 429. (Signed-in callers are told apart by their user id, which
no header changes.)
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from crm.core.api.throttling import ClientAddressThrottle
from tests.harness.routes import Route, program_routes

pytestmark = pytest.mark.django_db
PERMISSION_REFUSALS = {401, 403}


def _callbacks(resolver: URLResolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry)
        elif isinstance(entry, URLPattern):
            yield entry.lookup_str, entry.callback


def throttle_classes(callback) -> list[type]:
    """The throttles a DRF view applies (an action's own, else the view's, else the defaults); none for others."""
    cls = getattr(callback, "cls", None)
    if cls is None:
        return []
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    return list(initkwargs.get("throttle_classes", cls.throttle_classes))


def _scopes() -> set[str]:
    scopes = set()
    for _name, callback in _callbacks(get_resolver()):
        for throttle in throttle_classes(callback):
            scope = getattr(throttle, "scope", None) or getattr(callback, "initkwargs", {}).get("throttle_scope")
            scope = scope or getattr(getattr(callback, "cls", None), "throttle_scope", None)
            if scope:
                scopes.add(scope)
    return scopes | {"anon", "user"}


def test_every_throttle_reads_the_client_address():
    wrong = {
        f"{name}: {throttle.__module__}.{throttle.__qualname__}"
        for name, callback in _callbacks(get_resolver())
        for throttle in throttle_classes(callback)
        if not issubclass(throttle, ClientAddressThrottle)
    }

    assert wrong == set(), "throttles must derive from crm.core.api.throttling.ClientAddressThrottle"


def any_url(route: Route) -> str:
    """The route's URL with made-up kwargs (a number, else a word): what is reached before the object matters."""
    try:
        return route.url(dict.fromkeys(route.kwargs, "1"))
    except NoReverseMatch:
        return route.url(dict.fromkeys(route.kwargs, "x"))


def _route_throttles(route: Route) -> list[type]:
    return throttle_classes(get_resolver().resolve(any_url(route)).func)


THROTTLED = [route for route in program_routes() if route.view_class is not None and _route_throttles(route)]


@pytest.fixture
def one_a_minute(settings, monkeypatch):
    rates = dict.fromkeys(_scopes(), "1/minute")
    monkeypatch.setattr(ClientAddressThrottle, "THROTTLE_RATES", rates)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _send(route: Route, forwarded: str):
    client = APIClient()
    url = any_url(route)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded, "HTTP_X_REAL_IP": forwarded, "REMOTE_ADDR": "192.0.2.10"}
    if route.method == "GET":
        return client.get(url, **headers)
    return getattr(client, route.method.lower())(url, data=b"{}", content_type="application/json", **headers)


@pytest.mark.parametrize("route", THROTTLED, ids=[route.id for route in THROTTLED])
def test_a_made_up_forwarded_for_does_not_reset_the_limit(route, one_a_minute):
    first = _send(route, "203.0.113.1")
    second = _send(route, "198.51.100.2, 203.0.113.2")

    if first.status_code in PERMISSION_REFUSALS and second.status_code in PERMISSION_REFUSALS:
        return  # refused before the throttles: signed-in callers are throttled by user id, not by address
    assert first.status_code != 429
    assert second.status_code == 429, (first.status_code, second.content[:200])


def test_the_check_reaches_the_auth_routes():
    ids = {route.id for route in THROTTLED}

    assert {"portal:auth-log-in POST", "portal:auth-sign-up POST", "portal:autologin-list POST"} <= ids
