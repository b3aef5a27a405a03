"""The history server's report kinds (`h.`) in the back office's own report screens: the report-run and
report-template API and the admin. Their `filters`/`sort` go through the same checks as seed 001's `/api/reports`,
their data needs the same permissions, and their runs list beside the period reports."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.reports.models import ReportRun, ReportTemplate
from tests.conftest import staff_with_role
from tests.reports.test_history import book  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("book")]

RUNS = reverse("backoffice:report-run-list")
TEMPLATES = reverse("backoffice:report-template-list")
EURUSD = [{"entryType": "Equals", "field": "marketId", "value": "EURUSD"}]
BY_ORDER = {"field": "orderId", "column": "", "direction": "Asc"}
SCHEDULE = {"frequency": "daily", "base_date": "2030-01-06T08:00:00Z"}


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def staff(role: Role) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_with_role(role))
    return client


def rows_of(run: ReportRun) -> list[list[str]]:
    with run.file.open("rb") as file:
        return list(csv.reader(io.StringIO(file.read().decode())))


def test_a_history_template_is_scheduled_and_run_through_the_backoffice_api(book):  # noqa: F811
    admin = staff(Role.ADMIN)
    body = {
        "name": "EURUSD orders", "kind": "h.orders", "file_format": "csv",
        "params": {"filters": EURUSD, "sort": BY_ORDER}, **SCHEDULE,
    }  # fmt: skip

    created = admin.post(TEMPLATES, body, format="json")
    url = reverse("backoffice:report-template-detail", args=[created.json()["id"]])
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = admin.post(f"{url}run-now/")
    listed = admin.get(RUNS)

    assert created.status_code == 201, created.content
    assert created.json()["params"] == {"filters": EURUSD, "sort": BY_ORDER}
    assert started.status_code == 202, started.content
    assert (started.json()["name"], started.json()["params"]) == (
        "EURUSD orders",
        {"filters": EURUSD, "sort": BY_ORDER},
    )
    assert listed.status_code == 200
    assert [row["kind"] for row in listed.json()["results"]] == ["h.orders"]
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.DONE
    table = rows_of(run)
    assert table[0][:2] == ["orderId", "userId"]
    assert [int(row[0]) for row in table[1:]] == sorted([book["filled"].pk, book["working"].pk])
    # The same run is a 001 report: one machinery.
    assert admin.get(f"/api/reports/{run.pk}").json()["source"] == "Orders"


def test_an_ad_hoc_history_run_through_the_backoffice_api(book):  # noqa: F811
    admin = staff(Role.ADMIN)
    body = {"kind": "h.trades", "file_format": "csv", "params": {"filters": EURUSD}}

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(RUNS, body, format="json")

    assert response.status_code == 201, response.content
    run = ReportRun.objects.get()
    assert (run.status, run.params) == (ReportRun.Status.DONE, {"filters": EURUSD})
    assert len(rows_of(run)) == 1 + 3  # the header and the three live executions


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"filters": [{"entryType": "Equals", "field": "nope", "value": 1}]}, "filters[0].field"),
        ({"filters": [{"entryType": "Contains", "field": "orderId", "value": 1}]}, "filters[0].entryType"),
        ({"filters": [{"field": "marketId", "value": "EURUSD"}]}, "filters.0.entryType"),
        ({"filters": "EURUSD"}, "filters"),
        ({"sort": {"field": "nope", "direction": "Asc"}}, "sort.field"),
        ({"sortBy": "orderId"}, "sortBy"),
    ],
    ids=["unknown_field", "operator", "no_operator", "not_a_list", "sort_field", "period_parameter"],
)
def test_bad_history_params_are_the_same_400_as_at_api_reports(params, key):
    admin = staff(Role.ADMIN)

    run = admin.post(RUNS, {"kind": "h.orders", "params": params}, format="json")
    template = admin.post(TEMPLATES, {"name": "Bad", "kind": "h.orders", "params": params, **SCHEDULE}, format="json")

    assert (run.status_code, template.status_code) == (400, 400)
    assert key in run.json()["error"]["fields"]
    assert key in template.json()["error"]["fields"]
    if "sortBy" not in params:  # /api/reports has no period parameters; its filters and sort are checked alike
        body = {"source": "Orders", "filters": params.get("filters", []), "sorting": params.get("sort")}
        seed = admin.post("/api/reports", body, format="json")
        assert seed.status_code == 400
        assert key in seed.json()["error"]["fields"]
    assert not ReportRun.objects.exists()
    assert not ReportTemplate.objects.exists()


def test_a_history_kind_needs_its_read_models_permissions():
    affiliate_manager = staff(Role.AFFILIATE_MANAGER)  # schedules reports, but does not see trading

    run = affiliate_manager.post(RUNS, {"kind": "h.orders", "params": {}}, format="json")
    template = affiliate_manager.post(TEMPLATES, {"name": "O", "kind": "h.orders", **SCHEDULE}, format="json")

    assert (run.status_code, template.status_code) == (403, 403)
    assert not ReportRun.objects.exists()
    assert not ReportTemplate.objects.exists()


# The admin ------------------------------------------------------------------------------------------------------

ADMIN_TEMPLATE = {
    "name": "Orders", "kind": "h.orders", "period_days": "1", "file_format": "csv", "notify_emails": "",
    "frequency": "daily", "days_of_week": "[]", "base_date_0": "2030-01-06", "base_date_1": "08:00:00",
    "is_enabled": "on",
}  # fmt: skip


def test_the_admin_schedules_and_runs_a_history_template(client, book):  # noqa: F811
    client.force_login(staff_with_role(Role.ADMIN))
    add = reverse("admin:reports_reporttemplate_add")
    params = '{"filters": [{"entryType": "Equals", "field": "marketId", "value": "EURUSD"}]}'

    refused = client.post(add, {**ADMIN_TEMPLATE, "params": '{"filters": [{"entryType": "Equals", "field": "x"}]}'})
    created = client.post(add, {**ADMIN_TEMPLATE, "params": params})
    template = ReportTemplate.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("admin:reports_reporttemplate_changelist"),
            {"action": "run_now", "_selected_action": [template.pk]},
        )
    runs = client.get(reverse("admin:reports_reportrun_changelist"))

    assert refused.status_code == 200
    assert any("filters.0.value" in error for error in refused.context["adminform"].form.errors["params"])
    assert created.status_code == 302
    assert template.params == {"filters": EURUSD}
    run = ReportRun.objects.get()
    assert (run.kind, run.name, run.status) == ("h.orders", "Orders", ReportRun.Status.DONE)
    assert runs.status_code == 200
    assert b"Orders" in runs.content


def test_the_admin_offers_only_the_kinds_the_staff_member_may_see(client):
    client.force_login(staff_with_role(Role.AFFILIATE_MANAGER))

    form = client.get(reverse("admin:reports_reporttemplate_add")).context["adminform"].form
    refused = client.post(reverse("admin:reports_reporttemplate_add"), {**ADMIN_TEMPLATE, "params": "{}"})

    kinds = {value for value, _label in form.fields["kind"].choices}
    assert "affiliation" in kinds
    assert not {"h.orders", "h.trades", "profitloss"} & kinds
    assert "kind" in refused.context["adminform"].form.errors
    assert not ReportTemplate.objects.exists()
