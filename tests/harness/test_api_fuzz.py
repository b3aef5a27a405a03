"""Schema fuzzing: schemathesis sends generated requests for every operation of the project's own OpenAPI
schema to a live test server, as each kind of caller, and fails on any 5xx answer or any answer that the
schema does not describe (status code, content type, body).

Each audience is fuzzed as its callers: back-office operations with a staff API token (Admin role),
portal operations with a client's JWT, seed 001's trader operations with a client's JWT and their trading
account in the `accountId` header, affiliate operations with an affiliate's JWT and with its partner
key, public operations anonymously; and every operation once more anonymously, so the refusals are held to
the schema too. The run is bounded (`FUZZ_MAX_EXAMPLES`, default 20 per operation and caller) and
derandomized, so CI sees the same requests every time.

These tests use no `db` fixture: the live server's threads must see the data, so it is committed once
(`fuzz_world`) and pytest-django runs them after the tests that do use the database. They make sure of the
test database themselves (`fuzz_database`), so any selection of them runs alone.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread
from django.test.utils import setup_databases, teardown_databases
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.harness.fuzz_world import build_world, start_operation

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
ANONYMOUS_SETTINGS = hypothesis_settings(FUZZ_SETTINGS, max_examples=max(3, MAX_EXAMPLES // 5))


def _project_schema() -> dict:
    """The schema /api/schema/ serves, generated in-process (no request needed at collection time)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


# Schema examples and generated (valid and invalid) data; the coverage phase is left out: it enumerates
# boundary cases of every parameter at collection time, which alone takes minutes for this API.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(_project_schema(), config=CONFIG)
backoffice = schema.include(path_regex=r"^/api/v1/backoffice/")
portal = schema.include(path_regex=r"^/api/v1/portal/")
affiliate = schema.include(path_regex=r"^/api/v1/affiliate/")
TRADER_PATHS = r"^/(frontoffice|marketdata|notification)/api/"
trader = schema.include(path_regex=TRADER_PATHS)
# Everything else, seed 001's history server among it (`/api/...`, `/api/v1/markups/revenue`: outside the routers).
public = schema.exclude(path_regex=r"^/api/v1/(backoffice|portal|affiliate)/").exclude(path_regex=TRADER_PATHS)


def _declares_database(item: pytest.Item) -> bool:
    """pytest-django's rule for a test that needs the test database: a django_db mark or a database fixture."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & fixtures
    )


@pytest.fixture(scope="module")
def fuzz_database(request, django_db_setup, django_db_blocker, django_db_keepdb):
    """The test database, also in a session that selects only fuzz tests (`-k schema`).

    pytest-django creates the test database only when a selected test declares it, and the fuzz tests cannot
    (a django_db mark would hold their writes in a transaction the live server's threads cannot see); without
    this, such a run built its world in the configured database itself ("relation ... does not exist").
    """
    if any(_declares_database(item) for item in request.session.items):
        yield  # created by pytest-django's django_db_setup
        return
    with django_db_blocker.unblock():
        created = setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=django_db_keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture(scope="module")
def fuzz_world(fuzz_database, django_db_blocker):
    """Committed data, a live server in a thread, and its base URL."""
    with django_db_blocker.unblock():
        world = build_world()
        server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={}, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield world, f"http://127.0.0.1:{server.port}"
        finally:
            server.terminate()


@pytest.fixture
def live(fuzz_world, django_db_blocker):
    """(base URL, headers per caller) with credentials issued for this operation (throttles start afresh: the
    cache is cleared before each test)."""
    world, base_url = fuzz_world
    with django_db_blocker.unblock():
        yield base_url, start_operation(world)


def _call(case, base_url: str, headers: dict[str, str]) -> None:
    response = case.call(base_url=base_url, headers=headers, timeout=30)
    case.validate_response(response, checks=CHECKS)


def test_every_operation_is_fuzzed_as_its_audience():
    """Each operation belongs to exactly one audience selection, so none escapes fuzzing with its callers."""
    audiences = [backoffice, portal, trader, affiliate, public]
    labels = [{op.ok().label for op in selection.get_all_operations()} for selection in audiences]
    every = {op.ok().label for op in schema.get_all_operations()}
    assert sum(len(found) for found in labels) == len(every)
    assert set().union(*labels) == every


@backoffice.parametrize()
@FUZZ_SETTINGS
def test_backoffice_as_staff(case, live):
    base_url, callers = live
    _call(case, base_url, callers["staff"])


@portal.parametrize()
@FUZZ_SETTINGS
def test_portal_as_client(case, live):
    base_url, callers = live
    _call(case, base_url, callers["client"])


@trader.parametrize()
@FUZZ_SETTINGS
def test_trader_as_client(case, live):
    base_url, callers = live
    _call(case, base_url, callers["trader"])


@affiliate.parametrize()
@FUZZ_SETTINGS
def test_affiliate_as_affiliate(case, live):
    base_url, callers = live
    _call(case, base_url, callers["affiliate"])


@affiliate.parametrize()
@ANONYMOUS_SETTINGS
def test_affiliate_with_partner_key(case, live):
    base_url, callers = live
    _call(case, base_url, callers["affiliate_key"])


@public.parametrize()
@FUZZ_SETTINGS
def test_public_anonymously(case, live):
    base_url, callers = live
    _call(case, base_url, callers["anonymous"])


@schema.parametrize()
@ANONYMOUS_SETTINGS
def test_every_operation_anonymously(case, live):
    base_url, callers = live
    _call(case, base_url, callers["anonymous"])
