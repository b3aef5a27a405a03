"""Markets files in the admin: the instruments changelist's export and import buttons, the upload page, and an
import's page with the refused rows."""

import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from crm.core.models import ExportJob
from crm.core.roles import Role
from crm.trading.models import Instrument, MarketImport
from tests.conftest import staff_with_role
from tests.trading.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


def _xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("markets.xlsx", out.getvalue())


def test_the_changelist_shows_both_buttons(client):
    client.force_login(staff_with_role(Role.DEALER))

    page = client.get(reverse("admin:trading_instrument_changelist")).content.decode()

    assert reverse("admin:trading_instrument_export_markets_file") in page
    assert reverse("admin:trading_instrument_import_markets_file") in page


def test_export_markets_file_asks_then_records_the_markets_export(client, django_capture_on_commit_callbacks):
    InstrumentFactory(symbol="EURUSD")
    client.force_login(staff_with_role(Role.DEALER))
    url = reverse("admin:trading_instrument_export_markets_file")

    asked = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url)

    assert asked.status_code == 200
    assert ExportJob.objects.count() == 1
    job = ExportJob.objects.get()
    assert started.url == reverse("admin:core_exportjob_change", args=[job.pk])
    job.refresh_from_db()
    assert (job.target, job.status, job.rows_total) == ("backoffice:instrument-list", "done", 1)


def test_upload_imports_and_the_page_lists_refused_rows(client, django_capture_on_commit_callbacks):
    InstrumentFactory(symbol="EURUSD")
    client.force_login(staff_with_role(Role.DEALER))
    upload = _xlsx([["symbol", "max_lot", "min_lot"], ["EURUSD", 7, 0.1], ["EURUSD", 1, 1], ["GBPUSD", 1, 5]])

    assert client.get(reverse("admin:trading_instrument_import_markets_file")).url == reverse(
        "admin:trading_marketimport_add"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:trading_marketimport_add"), {"file": upload})

    assert response.status_code == 302
    job = MarketImport.objects.get()
    assert (job.status, job.rows_updated, job.incorrect_rows) == ("done", 1, [2, 3])
    assert Instrument.objects.get(symbol="EURUSD").max_lot == D(7)
    page = client.get(reverse("admin:trading_marketimport_change", args=[job.pk])).content.decode()
    assert "2: symbol: The file has this symbol on an earlier row." in page
    assert "3: max_lot: Must not be below the minimum lot." in page


def test_an_unreadable_upload_is_a_form_error(client):
    client.force_login(staff_with_role(Role.DEALER))

    response = client.post(reverse("admin:trading_marketimport_add"), {"file": _xlsx([["name"], ["x"]])})

    assert response.status_code == 200
    assert "The file has no symbol column." in response.content.decode()
    assert MarketImport.objects.count() == 0


def test_staff_who_may_not_change_instruments_cannot_import_or_see_imports(client):
    client.force_login(staff_with_role(Role.SUPPORT))

    assert client.get(reverse("admin:trading_marketimport_add")).status_code == 403
    assert client.get(reverse("admin:trading_marketimport_changelist")).status_code == 403


def test_imports_changelist_queries_are_flat(client):
    dealer = staff_with_role(Role.DEALER)
    client.force_login(dealer)
    url = reverse("admin:trading_marketimport_changelist")
    MarketImport.objects.create(owner=dealer, file="market-imports/a.xlsx", original_name="a.xlsx")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for name in "bcdef":
        MarketImport.objects.create(owner=staff_with_role(Role.DEALER), file=f"x/{name}.xlsx", original_name=name)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few)
