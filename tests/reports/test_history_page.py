"""The history server's kinds on the admin's report page: listed beside the period reports for whoever may see
their data, the first rows as the read model (and its file) gives them for that user, filters and a sort typed
as rows of field, operator and value, bad ones shown on the input they name, and "Build the file" starting a run
with the page's own parameters. The page costs the same queries for three rows and for ten."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.reports.history.sources import TRADE_KEYS
from crm.reports.models import ReportRun
from tests.conftest import staff_with_role
from tests.reports.test_history import book, deal  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("book")]

TRADES = reverse("admin:reports_report", args=["h.trades"])
RUNS = reverse("admin:reports_reportrun_changelist")


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def admin_client(client):
    client.force_login(staff_with_role(Role.ADMIN))
    return client


def column(page, key: str) -> list:
    return [row[TRADE_KEYS.index(key)] for row in page.context["rows"]]


def deals_of(book) -> tuple[int, int, int]:  # noqa: F811
    """The live executions: agent A's client's day 5 and day 6, agent B's client's day 10."""
    from crm.trading.models import Deal

    ids = Deal.objects.filter(account__is_demo=False).order_by("created_at").values_list("pk", flat=True)
    first, second, third = ids
    return first, second, third


def test_the_reports_index_lists_the_history_kinds_only_for_whoever_may_see_their_data(client):
    client.force_login(staff_with_role(Role.ADMIN))
    admin_index = client.get(RUNS)
    client.force_login(staff_with_role(Role.AFFILIATE_MANAGER))
    manager_index = client.get(RUNS)

    admin_urls = {report["url"] for report in admin_index.context["history_reports"]}
    assert TRADES in admin_urls
    assert reverse("admin:reports_report", args=["h.markup_revenue"]) in admin_urls
    assert TRADES in admin_index.content.decode()
    assert manager_index.status_code == 200
    # Wallets and clients, not trading: transfers and balances only.
    assert [report["url"].split("/")[-2] for report in manager_index.context["history_reports"]] == [
        "h.transfers",
        "h.user_balances",
        "h.account_balances",
    ]
    assert manager_index.context["reports"]  # the period reports it may see are listed too
    assert TRADES not in manager_index.content.decode()


def test_the_page_lists_the_read_models_rows_newest_first(admin_client, book):  # noqa: F811
    first, second, third = deals_of(book)

    page = admin_client.get(TRADES)

    assert page.status_code == 200
    assert page.context["headers"] == TRADE_KEYS
    assert column(page, "executionId") == [third, second, first]
    assert column(page, "userId") == [book["theirs"].pk, book["mine"].pk, book["mine"].pk]
    # lots x contract size (100,000), that x price; commissions as charged.
    assert column(page, "baseAmount") == [Decimal(100000), Decimal(200000), Decimal(200000)]
    assert column(page, "quoteAmount") == [Decimal(110000), Decimal(240000), Decimal(220000)]
    assert column(page, "commissionAmount") == [Decimal(1), Decimal(0), Decimal(2)]
    assert column(page, "accountName") == [book["other"].number, "Main", "Main"]
    content = page.content.decode()
    assert "executionPrice" in content  # the read model's columns
    assert "GreaterThanOrEqual" in content  # the fields' operators are documented on the page


def test_filters_and_the_sort_are_applied(admin_client, book):  # noqa: F811
    first, second, _third = deals_of(book)
    query = {
        "field": ["userId", "createdAt"],
        "entryType": ["Equals", "LessThan"],
        "value": [str(book["mine"].pk), "2026-11-30T00:00:00Z"],
        "sortField": "executionId",
        "direction": "Asc",
    }

    page = admin_client.get(TRADES, query)
    listed = admin_client.get(TRADES, {"field": "side", "entryType": "In", "value": "Sell, Buy"})
    none = admin_client.get(TRADES, {"field": "side", "entryType": "Equals", "value": "Sell"})

    assert page.status_code == 200
    assert column(page, "executionId") == [first, second]
    assert [(row.field, row.entry_type) for row in page.context["query"].filters] == [
        ("userId", "Equals"),
        ("createdAt", "LessThan"),
    ]
    assert len(page.context["query"].rows) == 3  # and an empty one to add a filter with
    assert len(column(listed, "executionId")) == 3
    assert none.context["rows"] == []
    assert "No rows match." in none.content.decode()


@pytest.mark.parametrize(
    ("query", "row_field"),
    [
        ({"field": "secret", "entryType": "Equals", "value": "1"}, "field"),
        ({"field": "orderId", "entryType": "Contains", "value": "1"}, "entry_type"),
        ({"field": "userId", "entryType": "Equals", "value": "one"}, "value"),
        ({"field": "side", "entryType": "Equals", "value": "Long"}, "value"),
        ({"field": "createdAt", "entryType": "GreaterThan", "value": "yesterday"}, "value"),
    ],
    ids=["unknown_field", "operator", "integer", "enum", "datetime"],
)
def test_a_bad_filter_is_an_error_on_its_input_and_starts_nothing(admin_client, query, row_field):
    page = admin_client.get(TRADES, query)
    started = admin_client.post(f"{TRADES}?{page.wsgi_request.META['QUERY_STRING']}", {"file_format": "csv"})

    assert page.status_code == 200
    row = page.context["query"].filters[0]
    assert list(row.errors) == [row_field]
    assert page.context["rows"] == []
    assert 'class="errorlist' in page.content.decode()
    assert started.status_code == 302  # back to the page, which shows the error
    assert not ReportRun.objects.exists()


def test_a_bad_sort_field_is_an_error_on_the_sort(admin_client):
    page = admin_client.get(TRADES, {"sortField": "secret", "direction": "Desc"})

    assert page.status_code == 200
    assert page.context["query"].sort_errors
    assert page.context["rows"] == []


def test_a_staff_member_without_the_read_models_permissions_gets_403(client):
    client.force_login(staff_with_role(Role.AFFILIATE_MANAGER))

    page = client.get(TRADES)
    started = client.post(TRADES, {"file_format": "csv"})

    assert (page.status_code, started.status_code) == (403, 403)
    assert not ReportRun.objects.exists()
    assert client.get(reverse("admin:reports_report", args=["h.nothing"])).status_code == 404


def test_build_the_file_starts_a_run_with_the_pages_parameters(admin_client, book):  # noqa: F811
    query = {
        "field": "userId", "entryType": "Equals", "value": str(book["mine"].pk), "sortField": "createdAt",
        "direction": "Asc",
    }  # fmt: skip
    page = admin_client.get(TRADES, query)

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = admin_client.post(
            f"{TRADES}?{page.wsgi_request.META['QUERY_STRING']}",
            {"file_format": "csv", "notify_emails": "cfo@example.com"},
        )

    run = ReportRun.objects.get()
    assert started.status_code == 302
    assert started.url == reverse("admin:reports_reportrun_change", args=[run.pk])
    assert (run.kind, run.file_format, run.notify_emails) == ("h.trades", "csv", ["cfo@example.com"])
    assert run.params == {
        "filters": [{"entryType": "Equals", "field": "userId", "value": str(book["mine"].pk)}],
        "sort": {"field": "createdAt", "column": "", "direction": "Asc"},
    }
    assert run.status == ReportRun.Status.DONE
    with run.file.open("rb") as file:
        table = list(csv.reader(io.StringIO(file.read().decode())))
    assert table[0] == TRADE_KEYS
    executions = [int(row[TRADE_KEYS.index("executionId")]) for row in table[1:]]
    assert executions == column(page, "executionId")


def test_an_agent_sees_the_rows_the_history_api_gives_them(client, book):  # noqa: F811
    client.force_login(book["agent_a"])
    api = APIClient()
    api.force_login(book["agent_a"])

    page = client.get(TRADES)
    answer = api.post("/api/trades", {"limit": 100}, format="json").json()

    assert page.status_code == 200
    assert column(page, "executionId") == [int(row["executionId"]) for row in answer["data"]]
    assert set(column(page, "userId")) == {book["mine"].pk}
    assert page.context["scope"] == "Your clients and leads"


def test_the_page_costs_the_same_queries_for_three_rows_and_for_ten(admin_client, book):  # noqa: F811
    query = {"field": "marketId", "entryType": "Equals", "value": "EURUSD", "sortField": "baseAmount"}
    admin_client.get(TRADES, query)
    with CaptureQueriesContext(connection) as three:
        assert len(admin_client.get(TRADES, query).context["rows"]) == 3
    for day in range(11, 18):
        deal(book["other"], day=day, lots="1", price="1.1", commission="1")

    with CaptureQueriesContext(connection) as ten:
        assert len(admin_client.get(TRADES, query).context["rows"]) == 10

    assert len(ten) == len(three)
