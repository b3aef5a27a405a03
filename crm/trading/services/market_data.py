"""Candles: each stored quote updates the bars of every interval (one statement), and a backfill of history.
Funding rates: a feed announces the rate of a perpetual market's next funding moment.

A bar is written with INSERT ... ON CONFLICT on (instrument, interval, start): a new bar opens at the price, an
existing one keeps its open, raises its high, lowers its low and closes at the price. Bars follow the bid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.trading import formulas
from crm.trading.models import Candle, CandleInterval, FundingRate, Instrument, candle_start

INTERVALS = list(CandleInterval.values)
PRUNE_BATCH = 10_000


def _sql(rows: int, *, merge: bool) -> str:
    table = Candle._meta.db_table
    greatest, least = ("MAX", "MIN") if connection.vendor == "sqlite" else ("GREATEST", "LEAST")
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * rows)
    head = (
        f"INSERT INTO {table} (instrument_id, interval, start, open, high, low, close, ticks) "  # noqa: S608 - no input in the names
        f"VALUES {values} ON CONFLICT (instrument_id, interval, start) "
    )
    if not merge:
        return head + "DO NOTHING"
    return head + (
        f"DO UPDATE SET high = {greatest}({table}.high, EXCLUDED.high), low = {least}({table}.low, EXCLUDED.low), "
        f"close = EXCLUDED.close, ticks = {table}.ticks + 1"
    )


def record_tick(instrument: Instrument, *, price: Decimal, time: dt.datetime) -> None:
    """Fold one price into the instrument's bars of every interval (called with each stored quote)."""
    params: list[Any] = []
    for interval in INTERVALS:
        params += [instrument.pk, interval, candle_start(time, interval), price, price, price, price, 1]
    with connection.cursor() as cursor:
        cursor.execute(_sql(len(INTERVALS), merge=True), params)


def backfill(instrument: Instrument, prices: Iterable[tuple[dt.datetime, Decimal]]) -> int:
    """Bars of every interval from a price history (time, price), oldest first; bars already there are kept.

    Returns how many bars were offered (existing ones are left as they are, so running it twice adds nothing).
    """
    bars: dict[tuple[str, dt.datetime], list[Decimal]] = {}
    for moment, price in prices:
        for interval in INTERVALS:
            key = (interval, candle_start(moment, interval))
            bar = bars.get(key)
            if bar is None:
                bars[key] = [price, price, price, price, Decimal(1)]
            else:
                bar[1], bar[2], bar[3], bar[4] = max(bar[1], price), min(bar[2], price), price, bar[4] + 1
    rows = list(bars.items())
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), 500):
            chunk = rows[offset : offset + 500]
            params: list[Any] = []
            for (interval, start), (open_, high, low, close, ticks) in chunk:
                params += [instrument.pk, interval, start, open_, high, low, close, int(ticks)]
            cursor.execute(_sql(len(chunk), merge=False), params)
    return len(rows)


def prune_candles(*, now: dt.datetime | None = None) -> int:
    """Delete the candles older than their interval's retention (`CANDLE_RETENTION_DAYS`, 0: kept for ever), in
    batches of short transactions; returns how many. Running it again deletes nothing more."""
    now = now or timezone.now()
    deleted = 0
    for interval, days in settings.CANDLE_RETENTION_DAYS.items():
        if not days or interval not in INTERVALS:
            continue
        old = Candle.objects.filter(interval=interval, start__lt=now - dt.timedelta(days=days))
        while batch := list(old.order_by("pk").values_list("pk", flat=True)[:PRUNE_BATCH]):
            with transaction.atomic():
                deleted += Candle.objects.filter(pk__in=batch).delete()[0]
    return deleted


def next_funding_moment(instrument: Instrument, now: dt.datetime) -> dt.datetime:
    """The first funding moment after `now`: every `funding_interval_hours` from 00:00 UTC."""
    hours = instrument.funding_interval_hours
    return formulas.funding_times(now, now + dt.timedelta(hours=hours), interval_hours=hours)[0]


def announce_funding_rate(instrument: Instrument, *, rate: Decimal, now: dt.datetime) -> FundingRate:
    """Fix the rate of a perpetual market's next funding moment, as a feed quotes it; the first announcement of
    a moment stands (a moment's rate never changes once announced, so the payments at that moment use it)."""
    found, _created = FundingRate.objects.get_or_create(
        instrument=instrument,
        applied_at=next_funding_moment(instrument, now),
        defaults={"rate": rate, "interval_hours": instrument.funding_interval_hours},
    )
    return found
