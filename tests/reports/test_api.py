"""The reports API: dashboard, report pages, runs with download links, templates; scope, refusals, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase
from django.urls import reverse

from crm.core.roles import Role
from crm.reports.models import ReportRun, ReportTemplate
from crm.wallets.models import Transaction
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import TransactionFactory, WalletFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_zone")]

ZONE = ZoneInfo("Asia/Nicosia")
DASHBOARD = reverse("backoffice:dashboard-list")
RUNS = reverse("backoffice:report-run-list")
TEMPLATES = reverse("backoffice:report-template-list")
TRANSACTIONS = reverse("backoffice:report-transactions-list")
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"
    settings.CELERY_TASK_ALWAYS_EAGER = True


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=ZONE)


def deposit(agent=None, amount: str = "100.00", when: dt.datetime | None = None) -> Transaction:
    customer = CustomerFactory(conversion_agent=agent)
    txn = TransactionFactory(
        wallet=WalletFactory(customer=customer), amount=Decimal(amount), status=Transaction.Status.COMPLETED
    )
    Transaction.objects.filter(pk=txn.pk).update(created_at=when or at(11, 5))
    return txn


def test_dashboard_answers_the_figures_of_the_callers_scope(api_client, sales_agent, other_sales_agent):
    CustomerFactory.create_batch(2, conversion_agent=sales_agent, registered_at=at(11, 3))
    CustomerFactory(conversion_agent=other_sales_agent, registered_at=at(11, 3))
    CustomerFactory(conversion_agent=sales_agent, registered_at=at(10, 3))
    api_client.force_authenticate(sales_agent)

    response = api_client.get(DASHBOARD, NOVEMBER)

    body = response.json()
    figures = {figure["key"]: (figure["current"], figure["previous"]) for figure in body["figures"]}
    assert response.status_code == 200
    assert (body["start"], body["end"], body["previous_start"]) == ("2026-11-01", "2026-11-30", "2026-10-02")
    assert figures["registrations"] == (2, 1)
    assert sum(body["series"]["registrations"]["current"]) == 2


def test_dashboard_refuses_a_period_ending_before_it_starts_and_anonymous_callers(api_client, admin_staff):
    anonymous = api_client.get(DASHBOARD)
    api_client.force_authenticate(admin_staff)

    refused = api_client.get(DASHBOARD, {"start": "2026-11-30", "end": "2026-11-01"})

    assert anonymous.status_code == 401
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"end"}


def test_transactions_report_pages_sorts_and_filters(api_client, finance_officer):
    small, big = deposit(amount="10.00"), deposit(amount="90.00")
    deposit(when=at(10, 5))
    api_client.force_authenticate(finance_officer)

    response = api_client.get(TRANSACTIONS, {**NOVEMBER, "sortBy": "-amount", "limit": 1, "type": "DEPOSIT"})
    refused = api_client.get(TRANSACTIONS, {**NOVEMBER, "sortBy": "colour", "type": "GIFT"})
    missing = api_client.get(TRANSACTIONS)

    body = response.json()
    assert (body["count"], [row["id"] for row in body["results"]]) == (2, [big.pk])
    assert body["results"][0]["amount"] == "90.00000000"
    assert small.pk != big.pk
    assert set(refused.json()["error"]["fields"]) == {"sortBy", "type"}
    assert set(missing.json()["error"]["fields"]) == {"start", "end"}


def test_an_agent_may_not_read_the_affiliation_report(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:report-affiliation-list"), NOVEMBER)

    assert response.status_code == 403


def test_a_run_is_built_and_its_short_lived_link_opens_the_file(api_client, client, finance_officer):
    deposit()
    api_client.force_authenticate(finance_officer)

    with TestCase.captureOnCommitCallbacks(execute=True):
        created = api_client.post(
            RUNS, {"kind": "transactions", "params": NOVEMBER, "file_format": "csv"}, format="json"
        )
    run_url = reverse("backoffice:report-run-detail", args=[created.json()["id"]])
    link = api_client.post(f"{run_url}download-link/")

    assert created.status_code == 201
    assert api_client.get(run_url).json()["status"] == "done"
    assert link.status_code == 200
    url = link.json()["url"]
    assert "token=b." in url
    assert link.json()["expires_in"] == 300
    download = client.get(url.replace("http://testserver", ""))
    assert download.status_code == 200
    assert b"Id,Created,Type" in b"".join(download.streaming_content)


def test_bad_run_requests_record_nothing(api_client, finance_officer, sales_agent):
    api_client.force_authenticate(finance_officer)
    bad = api_client.post(RUNS, {"kind": "balance", "params": {"start": "2026-11-01"}}, format="json")
    api_client.force_authenticate(sales_agent)
    forbidden = api_client.post(RUNS, {"kind": "affiliation", "params": NOVEMBER}, format="json")

    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"end"}
    assert forbidden.status_code == 403
    assert ReportRun.objects.count() == 0


def test_another_staff_members_run_answers_404(api_client, finance_officer):
    theirs = ReportRun.objects.create(owner=staff_with_role(Role.FINANCE), kind="balance", params=NOVEMBER)
    api_client.force_authenticate(finance_officer)

    url = reverse("backoffice:report-run-detail", args=[theirs.pk])

    assert api_client.get(url).status_code == 404
    assert api_client.post(f"{url}download-link/").status_code == 404
    assert api_client.delete(url).status_code == 404


def test_a_link_to_an_unfinished_run_is_a_conflict(api_client, finance_officer):
    run = ReportRun.objects.create(owner=finance_officer, kind="balance", params=NOVEMBER)
    api_client.force_authenticate(finance_officer)

    response = api_client.post(reverse("backoffice:report-run-download-link", args=[run.pk]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "report_not_ready"


def test_run_list_queries_do_not_grow_with_rows(api_client, finance_officer, django_assert_num_queries):
    api_client.force_authenticate(finance_officer)
    ReportRun.objects.create(owner=finance_officer, kind="balance", params=NOVEMBER)
    api_client.get(RUNS)  # permissions cached
    with django_assert_num_queries(2):  # COUNT + one page
        api_client.get(RUNS)
    for _ in range(10):
        ReportRun.objects.create(owner=finance_officer, kind="balance", params=NOVEMBER)
    with django_assert_num_queries(2):
        api_client.get(RUNS)


def test_templates_are_created_run_now_and_deleted_softly(api_client, finance_officer):
    api_client.force_authenticate(finance_officer)
    body = {
        "name": "Weekly transactions",
        "kind": "transactions",
        "params": {"type": ["DEPOSIT"]},
        "period_days": 7,
        "frequency": "weekly",
        "days_of_week": [1, 4],
        "base_date": "2026-11-02T06:00:00+02:00",
        "notify_emails": ["cfo@example.com"],
    }

    bad = api_client.post(TEMPLATES, {**body, "params": {"type": ["GIFT"]}}, format="json")
    created = api_client.post(TEMPLATES, body, format="json")
    url = reverse("backoffice:report-template-detail", args=[created.json()["id"]])
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = api_client.post(f"{url}run-now/")
    deleted = api_client.delete(url)

    assert bad.status_code == 400
    assert created.status_code == 201
    assert started.status_code == 202
    assert started.json()["params"]["type"] == ["DEPOSIT"]
    assert deleted.status_code == 204
    assert api_client.get(url).status_code == 404
    assert ReportTemplate.objects.get().deleted_by == finance_officer
