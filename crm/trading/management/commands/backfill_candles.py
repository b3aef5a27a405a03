"""`manage.py backfill_candles`: candle history from the sandbox feed's random walk, ending at today's quotes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from crm.trading import services
from crm.trading.feeds import SandboxFeed
from crm.trading.models import Instrument, Quote


class Command(BaseCommand):
    help = (
        "Fill the candles of the last --days from the built-in sandbox feed (a seeded random walk, one price "
        "every --step seconds, shifted to end at each instrument's last quote). Bars already there are kept, "
        "so running it again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Days of history (default 7).")
        parser.add_argument("--step", type=int, default=60, help="Seconds between prices (default 60).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed; the same seed gives the same walk.")
        parser.add_argument("--symbols", nargs="*", default=None, help="Only these symbols (default: all enabled).")

    def handle(self, *args: Any, days: int, step: int, seed: int, symbols: list[str] | None, **options: Any) -> None:
        instruments = Instrument.objects.enabled()
        if symbols:
            instruments = instruments.filter(symbol__in=symbols)
        by_symbol = {item.symbol: item for item in instruments}
        if not by_symbol or days <= 0 or step <= 0:
            self.stderr.write("Nothing to backfill.")
            return
        feed = SandboxFeed(by_symbol.values(), seed=seed)
        count = days * 86400 // step
        end = timezone.now()
        walks: dict[str, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
        for index in range(count):
            moment = end - dt.timedelta(seconds=step * (count - index))
            for quote in feed.step():
                walks[quote.symbol].append((moment, quote.bid))
        last = dict(Quote.objects.filter(instrument__in=by_symbol.values()).values_list("instrument__symbol", "bid"))
        bars = 0
        for symbol, walk in walks.items():
            instrument = by_symbol[symbol]
            shift = last[symbol] - walk[-1][1] if symbol in last else Decimal(0)
            floor = instrument.point * 100
            prices = [(moment, max(price + shift, floor)) for moment, price in walk]
            bars += services.backfill(instrument, prices)
        self.stdout.write(f"{bars} bars offered for {len(walks)} instruments over {days} day(s).")
