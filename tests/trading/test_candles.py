"""Candles: built from every stored quote, backfilled from the sandbox feed, served at 001's history path."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from crm.trading import services
from crm.trading.models import Candle, candle_start
from tests.trading.compat_helpers import make_trader
from tests.trading.factories import InstrumentFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 4, 13, 47, 20, tzinfo=dt.UTC)
HISTORY = "/marketdata/api/v4/instruments/{}/history"


def test_candle_starts():
    assert candle_start(T0, "M1") == T0.replace(second=0)
    assert candle_start(T0, "M15") == T0.replace(minute=45, second=0)
    assert candle_start(T0, "H4") == T0.replace(hour=12, minute=0, second=0)
    assert candle_start(T0, "D1") == T0.replace(hour=0, minute=0, second=0)


def test_each_quote_folds_into_the_bars_of_every_interval():
    eurusd = InstrumentFactory(symbol="EURUSD")
    for seconds, bid in ((0, "1.10000"), (10, "1.10050"), (20, "1.09950"), (30, "1.10010"), (70, "1.10100")):
        services.process_quote(eurusd, bid=D(bid), ask=D(bid) + D("0.0002"), time=T0 + dt.timedelta(seconds=seconds))

    m1 = list(
        Candle.objects.filter(interval="M1").order_by("start").values_list("open", "high", "low", "close", "ticks")
    )
    h1 = Candle.objects.get(interval="H1")

    assert m1 == [
        (D("1.10000"), D("1.10050"), D("1.09950"), D("1.10010"), 4),
        (D("1.10100"), D("1.10100"), D("1.10100"), D("1.10100"), 1),
    ]
    assert (h1.open, h1.high, h1.low, h1.close, h1.ticks) == (D("1.1"), D("1.101"), D("1.0995"), D("1.101"), 5)
    assert Candle.objects.filter(interval="D1").count() == 1


def test_history_answers_the_latest_bars_oldest_first():
    trader = make_trader()
    for minute in range(5):
        bid = D("1.1") + D(minute) / 1000
        services.process_quote(trader.eurusd, bid=bid, ask=bid + D("0.0002"), time=T0 + dt.timedelta(minutes=minute))

    response = trader.client.get(HISTORY.format("EURUSD"), {"interval": "M1", "limit": 2})
    hourly = trader.client.get(HISTORY.format("EURUSD"), {"interval": "H1"}).json()["data"]

    assert response.status_code == 200
    data = response.json()["data"]
    assert [row["close"] for row in data] == ["1.103", "1.104"]
    assert set(data[0]) == {"instrument", "start", "end", "low", "high", "open", "close"}
    assert data[0]["start"] == "2026-03-04T13:50:00Z"
    assert data[0]["end"] == "2026-03-04T13:51:00Z"
    assert [(row["open"], row["close"]) for row in hourly if row["start"].startswith("2026-03-04T13")] == [
        ("1.1", "1.104")
    ]


def test_history_refusals():
    trader = make_trader()

    assert trader.client.get(HISTORY.format("NOPE")).status_code == 400
    assert trader.client.get(HISTORY.format("EURUSD"), {"interval": "W1"}).status_code == 400
    assert APIClient().get(HISTORY.format("EURUSD")).status_code == 401


def test_backfill_ends_at_the_last_quote_and_runs_once():
    trader = make_trader()

    call_command("backfill_candles", days=1, step=300, symbols=["EURUSD"])
    bars = Candle.objects.count()
    call_command("backfill_candles", days=1, step=300, symbols=["EURUSD"])

    assert Candle.objects.filter(interval="M5").count() in (288, 289)
    assert Candle.objects.count() == bars
    last = Candle.objects.filter(instrument=trader.eurusd, interval="M5").order_by("-start").first()
    assert last.close == D("1.10000")
    assert all(bar.low <= bar.open <= bar.high and bar.low <= bar.close <= bar.high for bar in Candle.objects.all())


def _bar(instrument, interval: str, start: dt.datetime) -> Candle:
    return Candle.objects.create(
        instrument=instrument, interval=interval, start=start, open=D(1), high=D(1), low=D(1), close=D(1)
    )


def test_candles_past_their_intervals_retention_are_pruned_once(settings):
    from crm.trading import tasks

    settings.CANDLE_RETENTION_DAYS = {"M1": 7, "H1": 365, "D1": 0}
    eurusd = InstrumentFactory(symbol="EURUSD")
    now = dt.datetime.now(tz=dt.UTC)
    kept = [
        _bar(eurusd, "M1", now - dt.timedelta(days=6)),
        _bar(eurusd, "H1", now - dt.timedelta(days=300)),
        _bar(eurusd, "D1", now - dt.timedelta(days=4000)),
        _bar(eurusd, "M5", now - dt.timedelta(days=4000)),  # no retention named: kept
    ]
    _bar(eurusd, "M1", now - dt.timedelta(days=8))
    _bar(eurusd, "H1", now - dt.timedelta(days=400))

    assert tasks.prune_candles_task() == 2
    assert tasks.prune_candles_task() == 0
    assert set(Candle.objects.values_list("pk", flat=True)) == {bar.pk for bar in kept}
