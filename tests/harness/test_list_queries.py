"""Every scoped list endpoint, and the admin changelist of the same objects, answers in the same number of
queries whatever the number of its rows.

The lists come from the access matrix (`matrix.list_cases`): each resource's builder in `forbidden.py`
makes one of the owner's objects per call. The owner's list is read once with one object and once after the
builder made two more; a list whose rows grew must not have issued more queries (an N+1 shows up as
one query more per row). Where a builder hands back the same object every time (the victim's wallet, the
client itself), the two more are built for a sibling victim sharing the owner (the same client, or the same
agent); a list that still cannot grow is left out of the comparison, not passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.harness import matrix
from tests.harness.callers import CALLERS
from tests.harness.forbidden import FORBIDDEN, Victim
from tests.harness.routes import object_routes

LISTED = list({case.route.resource: case.route for case in matrix.list_cases()}.values())
# What a sibling victim shares with the first, tried in this order: the client (a second wallet, account,
# withdrawal of theirs), then only the agent and the affiliate (a second client of the same agent).
SHARED = (("desk", "agent", "customer", "affiliate"), ("desk", "agent", "affiliate"))


def _siblings(victim: Victim):
    yield victim
    for names in SHARED:
        sibling = Victim()
        sibling.__dict__.update({name: victim.__dict__[name] for name in names if name in victim.__dict__})
        yield sibling


def _build(route, victim: Victim) -> bool:
    """Build one more object for the owner in a savepoint; False when the builder's object must be unique."""
    try:
        with transaction.atomic():
            FORBIDDEN[route.resource].build(victim)
    except IntegrityError:
        return False
    return True


def _compare(route, read: Callable[[Victim], tuple[int, int]], where: str) -> None:
    """Build one of the owner's objects and read; build two more (for a sibling if need be), read again, compare.

    `read(victim)` answers (rows shown, queries taken) as the victim's owner sees them."""
    victim = Victim()
    FORBIDDEN[route.resource].build(victim)
    rows_before, queries_before = read(victim)
    rows_after, queries_after = rows_before, queries_before
    for builder_victim in _siblings(victim):
        if _build(route, builder_victim) and _build(route, builder_victim):
            rows_after, queries_after = read(victim)
            if rows_after > rows_before:
                break
    if rows_after == rows_before:
        pytest.skip("no second object of the owner could be built: nothing to compare")

    assert queries_after == queries_before, (
        f"{where}: {queries_before} queries for {rows_before} row(s), {queries_after} for {rows_after}"
    )


def _read(route, victim: Victim) -> tuple[int, int]:
    """(rows on the owner's list, queries it took)."""
    client = APIClient()
    CALLERS["owner"](client, victim, route)
    url = matrix.list_url(route)
    client.get(url, {"limit": matrix.LIST_LIMIT})  # warms per-process caches (content types, settings)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"limit": matrix.LIST_LIMIT})
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return len(rows), len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("route", LISTED, ids=[f"{route.resource} list" for route in LISTED])
def test_a_list_costs_the_same_queries_for_one_row_and_for_three(route):
    _compare(route, lambda victim: _read(route, victim), matrix.list_url(route))


# The admin changelists of the same objects --------------------------------------------------------------


def _changelists() -> list[tuple[str, Any]]:
    """(admin changelist URL name, an object route whose builder makes one of its rows), one per model."""
    found: dict[str, Any] = {}
    for route in object_routes():
        queryset = getattr(route.view_class, "queryset", None)
        if route.resource not in FORBIDDEN or queryset is None or queryset.model not in admin.site._registry:
            continue
        meta = queryset.model._meta
        found.setdefault(f"admin:{meta.app_label}_{meta.model_name}_changelist", route)
    return sorted(found.items())


CHANGELISTS = _changelists()


def _changelist(client, url: str) -> tuple[int, int]:
    """(rows on the changelist, queries it took)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.context["cl"].result_count, len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route"), CHANGELISTS, ids=[name for name, _ in CHANGELISTS])
def test_an_admin_changelist_costs_the_same_queries_for_one_row_and_for_three(name, route, admin_client):
    url = reverse(name)
    _compare(route, lambda _victim: _changelist(admin_client, url), url)
