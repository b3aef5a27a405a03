"""Issue 7, the access-control matrix: every object route, tried by every caller who must not reach it.

The routes come from the URL configuration (`routes.object_routes`), so a new endpoint is in the matrix
without a new test; it fails until `forbidden.py` says how to make an object of the victim for it. Each
case must answer 401, 403 or 404 and leave the database and the mail outbox as they were; the same callers
must not find the object in the resource's list either. The controls show the matrix is not vacuous: the
owner reaches every object (and finds it listed), and broken scoping is reported.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.harness import matrix
from tests.harness.callers import CALLERS
from tests.harness.forbidden import EXEMPT, FORBIDDEN, Victim
from tests.harness.routes import object_routes

CASES = matrix.cases()
OWNED = [route for route in object_routes() if route.resource in FORBIDDEN]
LISTS = matrix.list_cases()
LISTED_RESOURCES = list({case.route.resource: case.route for case in LISTS}.values())


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_caller_cannot_reach_the_object(case):
    if case.caller == matrix.UNREGISTERED:
        pytest.fail(matrix.unregistered_message(case.route))

    problems = matrix.check(case.route, case.caller)

    assert problems == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", OWNED, ids=[route.id for route in OWNED])
def test_the_owner_reaches_the_object(route):
    """The control: the object each builder makes is really there for its owner, body and all."""
    result = matrix.attempt(route, "owner")

    assert not result.error
    assert result.status not in matrix.REFUSALS, result.content()[:300]
    assert result.status < 500


@pytest.mark.django_db
@pytest.mark.parametrize("case", LISTS, ids=[f"{case.route.resource} list as {case.caller}" for case in LISTS])
def test_caller_does_not_find_the_object_in_the_list(case):
    status, shown = matrix.listed(case.route, case.caller)

    assert status in {200, *matrix.REFUSALS}
    assert not shown


@pytest.mark.django_db
@pytest.mark.parametrize("route", LISTED_RESOURCES, ids=[f"{route.resource} list" for route in LISTED_RESOURCES])
def test_the_owner_finds_the_object_in_the_list(route):
    assert matrix.listed(route, "owner") == (200, True)


def test_the_matrix_covers_all_three_apis_and_their_nested_routes():
    routes = object_routes()
    audiences = {route.audience for route in routes}
    ids = {route.id for route in routes}

    assert {"backoffice", "portal", "affiliate"} <= audiences
    assert "backoffice:customer-kyc-approve POST" in ids
    assert "backoffice:customer-documents-review POST" in ids  # nested: {pk}/documents/{document_id}/review/
    assert "portal:wallet-statement GET" in ids
    assert "affiliate:referral-notes POST" in ids
    assert "affiliate:referral-detail PUT" not in ids  # the viewset's http_method_names leave PUT out
    assert len(CASES) > 300


def test_registry_names_only_known_resources_and_callers():
    resources = {route.resource for route in object_routes()}

    assert set(FORBIDDEN) <= resources
    assert set(EXEMPT) <= resources
    assert not set(FORBIDDEN) & set(EXEMPT)
    assert all(caller in CALLERS for entry in FORBIDDEN.values() for caller in entry.extra_callers)
    assert all(EXEMPT[name].reason for name in EXEMPT)


def test_a_resource_without_an_entry_fails_with_instructions(monkeypatch):
    route = next(route for route in object_routes() if route.resource == "backoffice:customer")
    monkeypatch.delitem(FORBIDDEN, "backoffice:customer")

    assert matrix.callers_for(route) == (matrix.UNREGISTERED,)
    assert "Add a builder for it to FORBIDDEN in tests/harness/forbidden.py" in matrix.check(route, "anonymous")[0]


@pytest.mark.django_db
def test_the_matrix_reports_a_leak_when_scoping_is_broken(monkeypatch):
    from crm.customers.models import CustomerQuerySet

    monkeypatch.setattr(CustomerQuerySet, "visible_to", lambda queryset, user: queryset)
    routes = {route.id: route for route in object_routes()}

    read = matrix.check(routes["backoffice:customer-detail GET"], "agent-outside-desk", victim=Victim())
    write = matrix.check(routes["backoffice:customer-comments POST"], "scoped-staff", victim=Victim())
    listed = matrix.listed(routes["backoffice:customer-detail GET"], "desk-colleague", victim=Victim())

    assert len(read) == 1
    assert "answered 200" in read[0]
    assert any("answered 201" in problem for problem in write)
    assert any("wrote to" in problem and "customers.comment" in problem for problem in write)
    assert listed == (200, True)


@pytest.mark.django_db
def test_the_matrix_reports_a_leak_through_a_nested_kwarg(monkeypatch):
    from crm.customers.api import views
    from crm.customers.models import Document

    # Break the nested look-up: the document is found among all documents, not the client's own.
    monkeypatch.setattr(views, "get_object_or_404", lambda queryset, pk: Document.objects.get(pk=pk))
    route = next(route for route in object_routes() if route.id == "backoffice:customer-documents-review POST")

    problems = matrix.check(route, matrix.NESTED, victim=Victim())

    # The foreign document gets reviewed; the view then fails to read it back among the client's documents.
    assert any("as owner-foreign-child" in problem and "raised" in problem for problem in problems)
    if connection.vendor == "postgresql":  # the write counters keep writes a failed request rolled back
        assert any("wrote to" in problem and "customers.document" in problem for problem in problems)
