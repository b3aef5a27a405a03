"""The access-control matrix: which caller tries which object route, and the check of one such try.

`cases()` crosses every object route (read from the URL configuration) with the callers of its audience;
`check(route, caller)` builds the victim's object, sets the caller up, sends the route's method with a
plausible body, and returns what went wrong: an answer other than 401/403/404, a change in the database,
an email sent, or an exception. `listed(route, caller)` tells whether the caller finds the object in the
resource's list.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from django.core import mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from tests.harness import bodies
from tests.harness.callers import BY_AUDIENCE, CALLERS, REFUSED_CREDENTIALS
from tests.harness.forbidden import EXEMPT, FORBIDDEN, Exempt, Forbidden, Victim
from tests.harness.routes import Route, object_routes
from tests.harness.snapshot import changed, snapshot

REFUSALS = {401, 403, 404}
UNREGISTERED = "unregistered"
# The victim's owner on a nested route, its outer object their own, its inner one somebody else's.
NESTED = "owner-foreign-child"


@dataclass(frozen=True)
class Case:
    route: Route
    caller: str

    @property
    def id(self) -> str:
        return f"{self.route.id} as {self.caller}"


def entry(route: Route) -> Forbidden | Exempt | None:
    return FORBIDDEN.get(route.resource) or EXEMPT.get(route.resource)


def callers_for(route: Route) -> tuple[str, ...]:
    found = entry(route)
    if found is None:
        return (UNREGISTERED,)
    if isinstance(found, Exempt):
        return REFUSED_CREDENTIALS[route.audience]
    nested = (NESTED,) if len(route.kwargs) > 1 else ()
    return BY_AUDIENCE[route.audience] + found.extra_callers + nested


def cases() -> list[Case]:
    return [Case(route, caller) for route in object_routes() for caller in callers_for(route)]


def unregistered_message(route: Route) -> str:
    return (
        f"{route.id} ({route.path}) is an object route of resource {route.resource!r}, which the access "
        "matrix does not know. Add a builder for it to FORBIDDEN in tests/harness/forbidden.py (an object of "
        "the victim that the callers must not reach), or, if it is not scoped to anyone, an entry to EXEMPT "
        "with the reason."
    )


def unnested_message(route: Route) -> str:
    return (
        f"{route.id} ({route.path}) has objects inside objects, and FORBIDDEN[{route.resource!r}] in "
        "tests/harness/forbidden.py has no `nested` builder: add one returning kwargs whose outer object is the "
        "victim's and whose inner one is somebody else's."
    )


def _send(client: APIClient, route: Route, url: str, body, body_format: str):
    method = route.method.lower()
    if route.method == "GET":
        return client.get(url, bodies.query(route.path, route.method))
    if route.method == "DELETE":
        return client.delete(url)
    return getattr(client, method)(url, body, format=body_format)


@dataclass
class Attempt:
    """One request of the matrix and what it did."""

    url: str
    response: Any = None
    error: str = ""
    changed: list[str] = field(default_factory=list)
    mails: int = 0

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code

    def content(self) -> bytes:
        response = self.response
        return b"".join(response.streaming_content) if response.streaming else response.content


def _value(value: Any) -> Any:
    return value() if callable(value) else value


def attempt(route: Route, caller: str, *, victim: Victim | None = None) -> Attempt:
    """Build the victim's object, set the caller up, send the route's method, and record what happened."""
    victim = victim or Victim()
    target = (entry(route).nested if caller == NESTED else entry(route).build)(victim)
    client = APIClient()
    CALLERS[caller](client, victim, route)
    url = route.url({name: _value(target.kwargs[name]) for name in route.kwargs})
    body, body_format = bodies.request_body(route.path, route.method)
    if isinstance(body, dict):
        body = {**body, **{name: _value(value) for name, value in target.bodies.get(route.action, {}).items()}}

    result = Attempt(url)
    before, mails = snapshot(), len(mail.outbox)
    try:
        with transaction.atomic():
            result.response = _send(client, route, url, body, body_format)
    except Exception as exc:  # any exception is a finding, reported with its trace
        result.error = f"{exc!r}\n{''.join(traceback.format_exception(exc)[-6:])}"
    result.changed = changed(before, snapshot())
    result.mails = len(mail.outbox) - mails
    return result


def check(route: Route, caller: str, *, victim: Victim | None = None) -> list[str]:
    """Everything wrong with `caller` sending `route` at the victim's object (an empty list: refused cleanly)."""
    found = entry(route)
    if found is None:
        return [unregistered_message(route)]
    if caller == NESTED and found.nested is None:
        return [unnested_message(route)]
    result = attempt(route, caller, victim=victim)
    where = f"{route.id} as {caller}: {result.url}"
    problems = []
    if result.error:
        problems.append(f"{where} raised {result.error}")
    elif result.status not in REFUSALS:
        problems.append(f"{where} answered {result.status}: {result.content()[:300]!r}")
    if result.changed:
        problems.append(f"{where} wrote to {', '.join(result.changed)}")
    if result.mails:
        problems.append(f"{where} sent {result.mails} email(s)")
    return problems


# Lists ----------------------------------------------------------------------------------------------------
# The same callers must not find the victim's object in the resource's list either (NetBox's "list scoped").

LIST_LIMIT = 500


def list_url(route: Route) -> str | None:
    """The list route beside an object route (`customer-detail` -> `customer-list`), if the resource has one."""
    basename = route.resource.split(":", 1)[1]
    try:
        return reverse(f"{route.namespace}:{basename}-list")
    except NoReverseMatch:
        return None


def list_cases() -> list[Case]:
    """One object route per scoped resource that has a list, with the callers of its audience."""
    first: dict[str, Route] = {}
    for route in object_routes():
        if route.resource in FORBIDDEN and route.resource not in first and list_url(route):
            first[route.resource] = route
    return [
        Case(route, caller)
        for route in first.values()
        for caller in BY_AUDIENCE[route.audience] + FORBIDDEN[route.resource].extra_callers
    ]


def listed(route: Route, caller: str, *, victim: Victim | None = None) -> tuple[int, bool]:
    """(status of the list, whether the victim's object is on it) for `caller`."""
    victim = victim or Victim()
    pk = _value(FORBIDDEN[route.resource].build(victim).kwargs["pk"])
    client = APIClient()
    CALLERS[caller](client, victim, route)
    response = client.get(list_url(route), {"limit": LIST_LIMIT})
    if response.status_code != 200:
        return response.status_code, False
    data = response.json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return 200, any(isinstance(row, dict) and row.get("id") == pk for row in rows)
