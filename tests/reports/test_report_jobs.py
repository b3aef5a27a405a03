"""Seed 001 report jobs (`/api/reports...`): an ad-hoc report of a history server read model, in the seed's shape,
built by the reports machinery into a CSV/XLSX file the caller downloads, scoped to the rows the owner may see."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from openpyxl import load_workbook
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.reports import services
from crm.reports.models import ReportRun, ReportTemplate
from tests.conftest import staff_with_role
from tests.reports.test_history import admin, agent, book  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# The keys of the seed's report example (001_e14eb7e540426e65.txt, GET /api/reports/{reportId}).
REPORT_KEYS = {
    "id", "reportName", "templateName", "templateId", "source", "sourceName", "filters", "sorting", "createdAt",
    "expiredAt", "statusType", "statusReason", "createdBy", "notifyEmails", "format",
}  # fmt: skip
ORDERS_REPORT = {
    "reportName": "Filled EURUSD",
    "source": "Orders",
    "sourceName": "orders",
    "notifyEmails": ["boss@example.com"],
    "filters": [{"entryType": "Equals", "field": "marketId", "value": "EURUSD"}],
    "sorting": {"field": "orderId", "column": "", "direction": "Asc"},
    "format": "CSV",
}


def create(client, body, django_capture_on_commit_callbacks):
    """POST /api/reports with the task run at commit (as the worker would)."""
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/api/reports", body, format="json")


def test_an_ad_hoc_report_is_built_listed_and_downloaded(admin, book, django_capture_on_commit_callbacks):  # noqa: F811
    response = create(admin, ORDERS_REPORT, django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.content
    report_id = response.json()["id"]
    assert isinstance(report_id, str)
    assert report_id.isdigit()
    got = admin.get(f"/api/reports/{report_id}").json()
    assert set(got) == REPORT_KEYS
    assert got["statusType"] == "Completed"
    assert got["statusReason"] is None
    assert (got["reportName"], got["source"], got["format"]) == ("Filled EURUSD", "Orders", "CSV")
    assert got["filters"] == ORDERS_REPORT["filters"]
    assert got["sorting"] == ORDERS_REPORT["sorting"]
    assert got["notifyEmails"] == ["boss@example.com"]
    assert got["expiredAt"]
    assert [item["id"] for item in admin.get("/api/reports").json()["data"]] == [report_id]

    download = admin.get(f"/api/reports/{report_id}/download")
    assert download.status_code == 200
    table = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert table[0][:2] == ["orderId", "userId"]
    # Both EURUSD orders of the book (the filled one and the working limit), sorted by id ascending.
    assert [row[0] for row in table[1:]] == [str(book["filled"].pk), str(book["working"].pk)]
    assert mail.outbox[0].to == ["boss@example.com"]
    assert "Filled EURUSD is ready (2 rows)" in mail.outbox[0].body


def test_an_xlsx_report_of_the_agents_clients_only(agent, book, django_capture_on_commit_callbacks):  # noqa: F811
    body = {"source": "Trades", "format": "XLSX", "filters": []}
    report_id = create(agent, body, django_capture_on_commit_callbacks).json()["id"]

    download = agent.get(f"/api/reports/{report_id}/download")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    # Agent A's client has two live executions; agent B's client's and the demo account's are not theirs.
    assert len(rows) == 3
    assert {row[0] for row in rows[1:]} == {book["mine"].pk}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"source": "Nope"}, "source"),
        ({"filters": [{"entryType": "Equals", "field": "nope", "value": 1}]}, "filters[0].field"),
        ({"filters": [{"entryType": "Contains", "field": "orderId", "value": 1}]}, "filters[0].entryType"),
        ({"sorting": {"field": "nope", "direction": "Desc"}}, "sort.field"),
        ({"format": "PDF"}, "format"),
        ({"notifyEmails": ["not an email"]}, "notifyEmails"),
    ],
)
def test_unknown_sources_fields_and_formats_are_400(admin, change, key):  # noqa: F811
    response = admin.post("/api/reports", {**ORDERS_REPORT, **change}, format="json")

    assert response.status_code == 400
    assert key in str(response.json())
    assert not ReportRun.objects.exists()


def test_reports_are_the_callers_own(admin, agent, book, django_capture_on_commit_callbacks):  # noqa: F811
    report_id = create(agent, {"source": "Trades"}, django_capture_on_commit_callbacks).json()["id"]
    colleague = APIClient()
    colleague.force_login(staff_with_role(Role.SALES_AGENT))

    for path in (f"/api/reports/{report_id}", f"/api/reports/{report_id}/download"):
        assert colleague.get(path).status_code == 404
    assert colleague.delete(f"/api/reports/{report_id}").status_code == 404
    assert colleague.get("/api/reports").json() == {"data": []}
    # Everyone's reports: the admin token (view_all_reportruns).
    assert [item["id"] for item in admin.get("/api/reports").json()["data"]] == [report_id]
    assert ReportRun.objects.filter(pk=report_id).exists()


def test_a_source_needs_its_own_operation(book):  # noqa: F811
    affiliate_manager = APIClient()  # runs reports, but does not see trading
    affiliate_manager.force_login(staff_with_role(Role.AFFILIATE_MANAGER))

    assert affiliate_manager.post("/api/reports", ORDERS_REPORT, format="json").status_code == 403
    assert not ReportRun.objects.exists()


def test_delete_removes_the_report_and_its_file(admin, book, django_capture_on_commit_callbacks):  # noqa: F811
    report_id = create(admin, ORDERS_REPORT, django_capture_on_commit_callbacks).json()["id"]
    run = ReportRun.objects.get(pk=report_id)
    storage, name = run.file.storage, run.file.name

    assert admin.delete(f"/api/reports/{report_id}").status_code == 204

    assert not ReportRun.objects.exists()
    assert not storage.exists(name)
    assert admin.get(f"/api/reports/{report_id}").status_code == 404


def test_a_report_not_built_yet_is_new_and_not_downloadable(admin, book):  # noqa: F811
    report_id = admin.post("/api/reports", ORDERS_REPORT, format="json").json()["id"]  # the task never ran

    assert admin.get(f"/api/reports/{report_id}").json()["statusType"] == "New"
    assert admin.get(f"/api/reports/{report_id}/download").status_code == 400


def test_the_list_has_a_constant_query_count(admin, book, django_assert_num_queries):  # noqa: F811
    """Token, caller's permissions, the page with its owners and templates: as many for one report as for three."""
    admin.post("/api/reports", ORDERS_REPORT, format="json")
    with django_assert_num_queries(3):
        assert len(admin.get("/api/reports").json()["data"]) == 1
    for _ in range(2):
        admin.post("/api/reports", ORDERS_REPORT, format="json")

    with django_assert_num_queries(3):
        assert len(admin.get("/api/reports").json()["data"]) == 3


# Templates ---------------------------------------------------------------------------------------------------------

# The keys of the seed's template example (GET /api/reports/templates/{templateId}).
TEMPLATE_KEYS = {
    "id", "templateName", "source", "sourceName", "schedule", "filters", "sorting", "notifyEmails", "createdAt",
    "createdBy", "updatedAt", "updatedBy", "deletedAt", "deletedBy", "format",
}  # fmt: skip
TEMPLATE = {
    "templateName": "Weekly trades",
    "source": "Trades",
    "sourceName": "trades",
    "schedule": {"baseDate": "2030-01-06T08:00:00Z", "frequency": "Weekly", "daysOfWeek": ["Sunday", "Monday"]},
    "notifyEmails": ["desk@example.com"],
    "filters": [{"entryType": "GreaterThanOrEqual", "field": "createdAt", "value": "2026-11-01T00:00:00Z"}],
    "sorting": {"field": "executionId", "column": "", "direction": "Desc"},
    "format": "CSV",
}


def test_a_template_is_created_read_and_updated(admin, book):  # noqa: F811
    response = admin.post("/api/reports/templates", TEMPLATE, format="json")

    assert response.status_code == 200, response.content
    template_id = response.json()["id"]
    got = admin.get(f"/api/reports/templates/{template_id}").json()
    assert set(got) == TEMPLATE_KEYS
    assert got["schedule"] == {
        "baseDate": "2030-01-06T08:00:00Z", "frequency": "Weekly", "daysOfWeek": ["Sunday", "Monday"],
    }  # fmt: skip
    assert (got["filters"], got["sorting"], got["format"]) == (TEMPLATE["filters"], TEMPLATE["sorting"], "CSV")
    assert got["deletedAt"] is None
    template = ReportTemplate.objects.get(pk=template_id)
    assert template.days_of_week == [7, 1]
    assert template.next_run_at.isoformat() == "2030-01-06T08:00:00+00:00"

    changed = {**TEMPLATE, "templateName": "Daily trades", "schedule": {**TEMPLATE["schedule"], "frequency": "Daily"}}
    assert admin.put(f"/api/reports/templates/{template_id}", changed, format="json").status_code == 204
    got = admin.get(f"/api/reports/templates/{template_id}").json()
    assert (got["templateName"], got["schedule"]["frequency"]) == ("Daily trades", "Daily")
    assert got["updatedBy"] == got["createdBy"]
    assert [item["id"] for item in admin.get("/api/reports/templates").json()["data"]] == [template_id]


def test_run_now_produces_a_report_of_the_template(admin, book, django_capture_on_commit_callbacks):  # noqa: F811
    template_id = admin.post("/api/reports/templates", TEMPLATE, format="json").json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/api/reports/templates/{template_id}/run")

    assert response.status_code == 200
    report = admin.get(f"/api/reports/{response.json()['reportId']}").json()
    assert (report["templateId"], report["templateName"]) == (template_id, "Weekly trades")
    assert report["statusType"] == "Completed"
    download = admin.get(f"/api/reports/{report['id']}/download")
    table = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    # Every live execution since November 1st, newest first (by execution id, descending).
    ids = [int(row[7]) for row in table[1:]]
    assert table[0][7] == "executionId"
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
    assert "desk@example.com" in mail.outbox[0].to


def test_soft_delete_keeps_who_and_when(admin, book):  # noqa: F811
    template_id = admin.post("/api/reports/templates", TEMPLATE, format="json").json()["id"]

    assert admin.delete(f"/api/reports/templates/{template_id}").status_code == 204

    template = ReportTemplate.objects.get(pk=template_id)
    assert template.deleted_at is not None
    assert template.deleted_by is not None
    assert admin.get(f"/api/reports/templates/{template_id}").status_code == 404
    assert admin.post(f"/api/reports/templates/{template_id}/run").status_code == 404
    assert admin.get("/api/reports/templates").json() == {"data": []}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"source": "Nope"}, "source"),
        ({"filters": [{"entryType": "Equals", "field": "nope", "value": 1}]}, "filters[0].field"),
        ({"schedule": {"baseDate": "2030-01-06T08:00:00Z", "frequency": "Hourly"}}, "frequency"),
        (
            {"schedule": {"baseDate": "2030-01-06T08:00:00Z", "frequency": "Weekly", "daysOfWeek": ["Funday"]}},
            "daysOfWeek",
        ),
    ],
)
def test_bad_templates_are_400(admin, change, key):  # noqa: F811
    response = admin.post("/api/reports/templates", {**TEMPLATE, **change}, format="json")

    assert response.status_code == 400
    assert key in str(response.json())
    assert not ReportTemplate.objects.exists()


def test_templates_are_the_callers_own(book):  # noqa: F811
    dealer, colleague = APIClient(), APIClient()
    dealer.force_login(staff_with_role(Role.DEALER))
    colleague.force_login(staff_with_role(Role.DEALER))
    template_id = dealer.post("/api/reports/templates", TEMPLATE, format="json").json()["id"]

    assert colleague.get(f"/api/reports/templates/{template_id}").status_code == 404
    assert colleague.put(f"/api/reports/templates/{template_id}", TEMPLATE, format="json").status_code == 404
    assert colleague.delete(f"/api/reports/templates/{template_id}").status_code == 404
    assert colleague.post(f"/api/reports/templates/{template_id}/run").status_code == 404
    assert ReportTemplate.objects.get(pk=template_id).deleted_at is None


def test_the_template_list_has_a_constant_query_count(admin, book, django_assert_num_queries):  # noqa: F811
    admin.post("/api/reports/templates", TEMPLATE, format="json")
    with django_assert_num_queries(3):
        assert len(admin.get("/api/reports/templates").json()["data"]) == 1
    for number in range(2):
        admin.post("/api/reports/templates", {**TEMPLATE, "templateName": f"T{number}"}, format="json")

    with django_assert_num_queries(3):
        assert len(admin.get("/api/reports/templates").json()["data"]) == 3


def test_beat_runs_a_due_history_template_without_a_period(admin, book):  # noqa: F811
    template_id = admin.post("/api/reports/templates", TEMPLATE, format="json").json()["id"]
    template = ReportTemplate.objects.get(pk=template_id)

    assert services.run_due_templates(now=template.next_run_at) == 1

    run = ReportRun.objects.get(template=template)
    assert (run.kind, run.name, run.params) == ("h.trades", "Weekly trades", {**template.params})
    template.refresh_from_db()
    assert template.next_run_at.isoformat() == "2030-01-07T08:00:00+00:00"  # the Monday after that Sunday


def test_a_live_templates_name_is_a_conflict(admin, book):  # noqa: F811
    template_id = admin.post("/api/reports/templates", TEMPLATE, format="json").json()["id"]

    assert admin.post("/api/reports/templates", TEMPLATE, format="json").status_code == 409
    other = admin.post("/api/reports/templates", {**TEMPLATE, "templateName": "Other"}, format="json").json()["id"]
    assert admin.put(f"/api/reports/templates/{other}", TEMPLATE, format="json").status_code == 409
    assert admin.put(f"/api/reports/templates/{template_id}", TEMPLATE, format="json").status_code == 204
    admin.delete(f"/api/reports/templates/{template_id}")
    assert admin.post("/api/reports/templates", TEMPLATE, format="json").status_code == 200
