"""Markets files through the service and its tasks: rows whole or not at all, a run twice imports once, the
sweep sends a lost task again, a file whose runs keep dying fails."""

import datetime as dt
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.core.models import Activity
from crm.trading import tasks
from crm.trading.models import Instrument, MarketImport
from crm.trading.services import market_files
from tests.trading.factories import InstrumentFactory
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _csv(text: str, name: str = "markets.csv") -> ContentFile:
    return ContentFile(text.encode(), name=name)


def _import(text: str) -> MarketImport:
    return market_files.create_market_import(owner=StaffUserFactory(), file=_csv(text))


def test_a_csv_file_is_imported_row_by_row():
    InstrumentFactory(symbol="EURUSD", swap_long=D(1))
    job = _import(
        "symbol;swap_long;sessions;is_enabled\n"
        'EURUSD;-2.5;{"mon": [["00:00", "12:00"]]};False\n'
        'XAUUSD;1;{"mon": [["12:00", "10:00"]]};True\n'
    )

    done = market_files.run_market_import(job.pk)

    assert (done.status, done.rows_updated, done.rows_created, done.incorrect_rows) == ("done", 1, 0, [2])
    assert done.row_errors == {"2": {"sessions": ["A session must end after it starts."]}}
    eurusd = Instrument.objects.get(symbol="EURUSD")
    assert (eurusd.swap_long, eurusd.sessions, eurusd.is_enabled) == (D("-2.5"), {"mon": [["00:00", "12:00"]]}, False)
    assert not Instrument.objects.filter(symbol="XAUUSD").exists()


def test_a_row_changes_and_logs_only_the_cells_that_differ():
    InstrumentFactory(symbol="EURUSD", max_lot=D(100))
    job = _import("symbol,max_lot,min_lot\nEURUSD,40,0.01\n")

    market_files.run_market_import(job.pk)

    log = Activity.objects.get(action="trading.instrument_changed")
    assert set(log.changes) == {"max_lot"}
    assert Instrument.objects.get().max_lot == D(40)


def test_an_older_files_price_scale_column_sets_the_digits_unless_the_file_has_digits():
    InstrumentFactory(symbol="EURUSD", digits=5)
    InstrumentFactory(symbol="GBPUSD", digits=5)
    older = _import("symbol,price_scale,amount_scale\nEURUSD,3,1\n")
    both = _import("symbol,price_scale,digits\nGBPUSD,2,4\n")

    market_files.run_market_import(older.pk)
    market_files.run_market_import(both.pk)

    eurusd, gbpusd = Instrument.objects.get(symbol="EURUSD"), Instrument.objects.get(symbol="GBPUSD")
    assert (eurusd.digits, eurusd.amount_scale, gbpusd.digits) == (3, 1, 4)


def test_a_row_whose_amount_scale_cannot_show_the_lot_steps_amount_is_refused():
    InstrumentFactory(symbol="BTCUSD", contract_size=D(1), lot_step=D("0.01"), min_lot=D("0.01"))
    job = _import("symbol,lot_step,amount_scale\nBTCUSD,0.001,2\n")

    done = market_files.run_market_import(job.pk)

    assert (done.incorrect_rows, list(done.row_errors["1"])) == ([1], ["amount_scale"])
    assert Instrument.objects.get(symbol="BTCUSD").lot_step == D("0.01")


def test_running_an_import_twice_applies_it_once():
    job = _import("symbol,margin_currency,profit_currency\nXAUUSD,XAU,USD\n")

    first = market_files.run_market_import(job.pk)
    second = market_files.run_market_import(job.pk)

    assert (first.rows_created, second) == (1, None)
    assert Instrument.objects.filter(symbol="XAUUSD").count() == 1


def test_a_file_that_breaks_while_reading_fails_whole():
    job = _import("symbol,margin_currency,profit_currency\nXAUUSD,XAU,USD\n")
    MarketImport.objects.filter(pk=job.pk).update(original_name="markets.xlsx")

    done = market_files.run_market_import(job.pk)

    assert (done.status, done.error, done.rows_created) == ("failed", "Not a readable XLSX file.", 0)
    assert not Instrument.objects.filter(symbol="XAUUSD").exists()


def test_an_unreadable_or_too_large_upload_is_refused():
    with pytest.raises(DomainError) as no_symbol:
        _import("name\nx\n")
    with mock.patch.object(market_files, "MAX_FILE_BYTES", 10), pytest.raises(DomainError) as too_large:
        _import("symbol\nEURUSD\n")

    assert no_symbol.value.fields == {"file": ["The file has no symbol column."]}
    assert too_large.value.code == "file_too_large"
    assert MarketImport.objects.count() == 0


def test_the_sweep_sends_a_lost_import_again_and_gives_up_after_its_attempts(django_capture_on_commit_callbacks):
    job = _import("symbol,margin_currency,profit_currency\nXAUUSD,XAU,USD\n")
    MarketImport.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_market_imports_task() == 1
    assert MarketImport.objects.get(pk=job.pk).status == "done"
    assert tasks.sweep_market_imports_task() == 0

    stuck = _import("symbol\nEURUSD\n")
    MarketImport.objects.filter(pk=stuck.pk).update(attempts=3, next_attempt_at=timezone.now())
    tasks.sweep_market_imports_task()
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error.startswith("The import's runs kept stopping")) == ("failed", True)
