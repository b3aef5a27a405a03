"""The feed command, the periodic tasks (each run twice) and the open-positions count kept from events."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from crm.core.events import dispatch_event
from crm.core.models import OutboxEvent
from crm.trading import services, tasks
from crm.trading.models import Position, Quote
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


def test_the_sandbox_feed_is_reproducible_by_seed():
    eurusd = InstrumentFactory(symbol="EURUSD")
    InstrumentFactory(symbol="USDJPY", digits=3, tick_size=D("0.001"))

    call_command("run_price_feed", ticks=5, interval=0, seed=7)
    first = dict(Quote.objects.values_list("instrument__symbol", "bid"))
    Quote.objects.all().delete()
    call_command("run_price_feed", ticks=5, interval=0, seed=7)
    second = dict(Quote.objects.values_list("instrument__symbol", "bid"))

    assert first == second
    assert set(first) == {"EURUSD", "USDJPY"}
    assert Quote.objects.get(instrument=eurusd).ask > first["EURUSD"]
    assert abs(first["EURUSD"] - D("1.08500")) <= D("0.00040")  # five steps of at most 8 points


def test_the_feed_runs_the_engine_on_each_quote():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.08500", "1.08510")
    account = fund(TradingAccountFactory(), "1000.00")
    position = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.01"), stop_loss=D("1.08490"), take_profit=D("1.08511")
    ).position

    call_command("run_price_feed", ticks=40, interval=0, seed=1)

    position.refresh_from_db()
    assert (position.status, position.close_reason in ("stop_loss", "take_profit")) == ("closed", True)


def test_swap_task_twice_charges_once():
    eurusd = InstrumentFactory(symbol="EURUSD", swap_long=D("-7"))
    quote(eurusd, "1.10000", "1.10000")
    account = fund(TradingAccountFactory(), "10000.00")
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    # Open before the rollover of Thursday 3 December (one swap day), whatever day the test runs.
    Position.objects.filter(pk=position.pk).update(opened_at=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))

    assert tasks.charge_swaps_task("2026-12-03") == 1
    assert tasks.charge_swaps_task("2026-12-03") == 0

    position.refresh_from_db()
    assert position.swap == D("-7.00")


def test_account_check_task_writes_figures_and_is_harmless_twice():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10000")
    account = fund(TradingAccountFactory(), "10000.00")
    services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    assert tasks.check_accounts_task() == 0
    assert tasks.check_accounts_task() == 0

    account.refresh_from_db()
    assert (account.equity, account.margin) == (D("10000.00"), D("1100.00"))


def test_sandbox_quotes_task_moves_every_instrument():
    InstrumentFactory(symbol="EURUSD")

    tasks.sandbox_quotes_task(steps=2)

    assert Quote.objects.count() == 1


def test_open_positions_count_follows_the_events():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10000")
    account = fund(TradingAccountFactory(), "10000.00")
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10")).position
    services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"))
    services.close_position(position)

    for event in OutboxEvent.objects.filter(name__startswith="position.").order_by("pk"):
        dispatch_event(event.pk)
        dispatch_event(event.pk)

    account.customer.refresh_from_db()
    assert account.customer.open_positions_count == 1
