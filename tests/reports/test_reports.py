"""Reports: figures against hand-computed answers, scope, files (XLSX/CSV, no formulas), links, emails, admin."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from crm.affiliates.models import CommissionLedger
from crm.core.exceptions import DomainError
from crm.reports import services
from crm.reports.models import ReportRun
from crm.reports.periods import Period
from crm.reports.scope import scope_for
from crm.reports.sources import AFFILIATION, BALANCE, TRANSACTIONS
from crm.wallets.models import Transaction
from crm.wallets.models.accounts import Wallet
from crm.wallets.services.ledger import post_entry, system_account
from tests.affiliates.factories import AffiliateFactory, CommissionLedgerFactory
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import CurrencyFactory, TransactionFactory, WalletFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_zone")]

ZONE = ZoneInfo("Asia/Nicosia")
NOVEMBER = Period(first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
PARAMS = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE)


def move(wallet: Wallet, amount: str, when: dt.datetime) -> None:
    """A balanced entry between the wallet and PSP clearing, dated `when`."""
    value = Decimal(amount)
    clearing = system_account(Wallet.SystemCode.PSP_CLEARING, wallet.currency)
    with mock.patch("django.utils.timezone.now", return_value=when):  # the ledger is immutable once written
        post_entry(
            idempotency_key=f"test:{wallet.pk}:{when.isoformat()}:{amount}",
            postings=[(wallet, value), (clearing, -value)],
            kind="test",
        )


def rows(source, user, params=PARAMS) -> list[dict]:
    params = services.clean_params(source.kind, params)
    return [
        dict(zip(source.keys, row, strict=True))
        for row in source.rows(source.queryset(scope_for(user), NOVEMBER, params))
    ]


def test_balance_report_opens_moves_and_closes_each_wallet_in_broker_days(finance_officer):
    wallet = WalletFactory(currency=CurrencyFactory(code="USD"))
    move(wallet, "100.00", at(10, 31, 23))  # 31 Oct 23:00 in Nicosia: before the period
    move(wallet, "50.00", dt.datetime(2026, 10, 31, 22, 30, tzinfo=dt.UTC))  # 1 Nov 00:30 local: in it
    move(wallet, "-30.00", at(11, 15))
    move(wallet, "7.00", dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC))  # 1 Dec local: after it
    empty = WalletFactory(currency=CurrencyFactory(code="USD"))
    move(empty, "5.00", at(12, 2))

    result = rows(BALANCE, finance_officer)

    assert [
        (row["wallet_id"], row["opening"], row["money_in"], row["money_out"], row["closing"]) for row in result
    ] == [(wallet.pk, Decimal("100.00"), Decimal("50.00"), Decimal("-30.00"), Decimal("120.00"))]


def test_balance_report_of_an_agent_holds_only_their_clients(sales_agent, other_sales_agent):
    mine = WalletFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    theirs = WalletFactory(customer=CustomerFactory(conversion_agent=other_sales_agent))
    move(mine, "10.00", at(11, 3))
    move(theirs, "20.00", at(11, 3))

    assert [row["wallet_id"] for row in rows(BALANCE, sales_agent)] == [mine.pk]


def test_affiliation_report_counts_referrals_ftds_commissions_and_sorts(db, admin_staff):
    big, small = AffiliateFactory(), AffiliateFactory()
    CustomerFactory.create_batch(2, introducer=big.customer, registered_at=at(11, 5))
    CustomerFactory(introducer=big.customer, registered_at=at(9, 5), first_deposit_at=at(11, 6))
    CustomerFactory(introducer=small.customer, registered_at=at(11, 7))
    CommissionLedgerFactory(introducer=big, action_timestamp=at(11, 8), commission_amount=Decimal("12.50"))
    CommissionLedgerFactory(
        introducer=big,
        action_timestamp=at(11, 8),
        status=CommissionLedger.Status.PENDING,
        commission_amount=Decimal("3"),
    )
    CommissionLedgerFactory(introducer=big, action_timestamp=at(10, 8), commission_amount=Decimal("99"))

    result = rows(AFFILIATION, admin_staff, {**PARAMS, "sortBy": "-signups"})

    by_id = {row["pk"]: row for row in result}
    # CommissionLedgerFactory makes a referral of its own for each record (registered now, outside the period).
    assert (by_id[big.pk]["signups"], by_id[big.pk]["ftds"]) == (2, 1)
    assert (by_id[big.pk]["approved"], by_id[big.pk]["pending"], by_id[big.pk]["paid"]) == (
        Decimal("12.50"),
        Decimal("3"),
        Decimal("0"),
    )
    assert by_id[small.pk]["signups"] == 1
    assert [row["pk"] for row in result][:2] == [big.pk, small.pk]


def test_bad_parameters_are_refused_with_field_errors(finance_officer):
    with pytest.raises(DomainError) as refused:
        services.clean_params("transactions", {"start": "2026-11-30", "end": "2026-11-01", "sortBy": "nope", "x": 1})

    assert set(refused.value.fields) == {"end", "sortBy", "x"}
    assert ReportRun.objects.count() == 0


def test_a_run_builds_an_xlsx_without_formulas_and_emails_a_working_link(client, finance_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    evil = CustomerFactory(first_name='=HYPERLINK("http://evil.example")')
    txn = TransactionFactory(wallet=WalletFactory(customer=evil), status=Transaction.Status.COMPLETED)
    Transaction.objects.filter(pk=txn.pk).update(created_at=at(11, 3))

    with django_capture_on_commit():
        run = services.create_report_run(
            owner=finance_officer, kind="transactions", params=PARAMS, notify_emails=["boss@example.com"]
        )

    run.refresh_from_db()
    assert (run.status, run.attempts, run.rows_total) == (ReportRun.Status.DONE, 1, 1)
    sheet = load_workbook(run.file.open("rb")).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == TRANSACTIONS.headers[:3]
    assert values[1][5] == '=HYPERLINK("http://evil.example")'
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert [message.to for message in mail.outbox] == [["boss@example.com"]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reports/download/" in line)
    response = client.get(link.replace(settings.SITE_URL.rstrip("/"), ""))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_a_csv_run_quotes_formulas(finance_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    evil = CustomerFactory(last_name="+cmd|' /C calc'!A0")
    txn = TransactionFactory(wallet=WalletFactory(customer=evil), status=Transaction.Status.COMPLETED)
    Transaction.objects.filter(pk=txn.pk).update(created_at=at(11, 3))

    with django_capture_on_commit():
        run = services.create_report_run(owner=finance_officer, kind="transactions", params=PARAMS, file_format="csv")

    run.refresh_from_db()
    table = list(csv.reader(io.StringIO(run.file.open("rb").read().decode())))
    assert table[1][6] == "'+cmd|' /C calc'!A0"


def test_running_a_run_twice_builds_one_file(finance_officer):
    run = ReportRun.objects.create(
        owner=finance_officer, kind="balance", params=services.clean_params("balance", PARAMS)
    )

    services.run_report(run.pk)
    first = ReportRun.objects.get(pk=run.pk).file.name
    services.run_report(run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.file.name) == (ReportRun.Status.DONE, 1, first)


def test_a_run_interrupted_too_often_fails(finance_officer):
    run = ReportRun.objects.create(
        owner=finance_officer,
        kind="balance",
        params=services.clean_params("balance", PARAMS),
        status=ReportRun.Status.RUNNING,
        attempts=services.MAX_ATTEMPTS,
    )

    services.run_report(run.pk)

    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert not run.file


def test_forged_expired_or_other_purpose_tokens_are_refused(client, finance_officer, settings):
    run = ReportRun.objects.create(
        owner=finance_officer, kind="balance", params=services.clean_params("balance", PARAMS)
    )
    services.run_report(run.pk)
    run.refresh_from_db()
    url = reverse("reports:download")
    browser = services.download_token(run, recipient="x", browser=True)
    private_file_token = signing.TimestampSigner(salt="crm.core.files.private-link").sign_object({"r": run.pk})

    assert client.get(url, {"token": browser}).status_code == 200
    assert client.get(url, {"token": browser[:-2] + "xx"}).status_code == 403
    assert client.get(url, {"token": f"b.{private_file_token}"}).status_code == 403
    assert client.get(url, {"token": "e." + browser[2:]}).status_code == 403
    settings.PRIVATE_LINK_MAX_AGE = -1
    assert client.get(url, {"token": browser}).status_code == 403


def test_expired_runs_and_their_files_are_deleted(finance_officer):
    run = ReportRun.objects.create(
        owner=finance_officer, kind="balance", params=services.clean_params("balance", PARAMS)
    )
    services.run_report(run.pk)
    run.refresh_from_db()
    storage, name = run.file.storage, run.file.name

    assert services.delete_expired_reports(now=run.expires_at + dt.timedelta(seconds=1)) == 1
    assert not ReportRun.objects.exists()
    assert not storage.exists(name)


def test_admin_report_page_shows_rows_and_starts_a_file(client, finance_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    wallet = WalletFactory()
    move(wallet, "42.00", at(11, 3))
    client.force_login(finance_officer)
    url = reverse("admin:reports_report", args=["balance"])

    page = client.get(url, {"start": "2026-11-01", "end": "2026-11-30"})
    with django_capture_on_commit():
        started = client.post(f"{url}?start=2026-11-01&end=2026-11-30", {"file_format": "xlsx"})

    assert page.status_code == 200
    assert page.context["rows"][0][0] == wallet.pk
    assert escape(BALANCE.description) in page.content.decode()
    run = ReportRun.objects.get()
    assert started.status_code == 302
    assert (run.owner, run.kind, run.params["start"], run.status) == (finance_officer, "balance", "2026-11-01", "done")
    runs = client.get(reverse("admin:reports_reportrun_changelist"))
    assert "/reports/download/?token=b." in runs.content.decode()


def test_an_agent_may_not_open_the_affiliation_report(client, sales_agent):
    client.force_login(sales_agent)

    assert client.get(reverse("admin:reports_report", args=["affiliation"])).status_code == 403


def django_capture_on_commit():
    """Run on-commit callbacks at the end of the block (the test transaction never commits)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
