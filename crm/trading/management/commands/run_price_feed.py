"""`manage.py run_price_feed`: the quote feed process.

With `--publish` (production, the Procfile) it appends the quotes to Redis for the engine processes
(`run_trading_engine`, which sends them on to the portals' live sockets); without it (one machine, no engine
process) it applies them itself through the same services, then sends each tick's accepted quotes to the sockets.
Either way it announces each perpetual market's next funding rate once per funding moment.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.trading import live, services
from crm.trading import ticks as bus
from crm.trading.feeds import FeedQuote, SandboxFeed
from crm.trading.models import Instrument


class Command(BaseCommand):
    help = "Run the built-in offline price feed (seeded random walk) and process every quote (Procfile `feed`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between ticks (default 1).")
        parser.add_argument("--ticks", type=int, default=0, help="Stop after this many ticks (default: never).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed; the same seed gives the same prices.")
        parser.add_argument("--symbols", nargs="*", default=None, help="Only these symbols (default: all enabled).")
        parser.add_argument(
            "--publish", action="store_true", help="Publish the ticks to Redis for run_trading_engine instead."
        )

    def handle(
        self,
        *args: Any,
        interval: float,
        ticks: int,
        seed: int,
        symbols: list[str] | None,
        publish: bool,
        **options: Any,
    ) -> None:
        instruments = Instrument.objects.enabled()
        if symbols:
            instruments = instruments.filter(symbol__in=symbols)
        by_symbol = {item.symbol: item for item in instruments}
        if not by_symbol:
            self.stderr.write("No enabled instrument to quote.")
            return
        feed = SandboxFeed(by_symbol.values(), seed=seed)
        perpetuals = [item for item in by_symbol.values() if item.market_type == Instrument.MarketType.PERPETUAL]
        announced: dict[int, dt.datetime] = {}
        client = bus.connect() if publish else None
        done = actions = 0
        for batch in feed.ticks():
            self._announce_funding(feed, perpetuals, announced)
            if client is not None:
                bus.publish(client, batch)
            else:
                actions += self._apply(batch, by_symbol)
            done += 1
            if ticks and done >= ticks:
                break
            if interval:
                time.sleep(interval)
        if client is not None:
            self.stdout.write(f"{done} ticks over {len(by_symbol)} instruments published.")
        else:
            self.stdout.write(f"{done} ticks over {len(by_symbol)} instruments, {actions} engine actions.")

    def _announce_funding(
        self, feed: SandboxFeed, perpetuals: list[Instrument], announced: dict[int, dt.datetime]
    ) -> None:
        now = timezone.now()
        for instrument in perpetuals:
            moment = services.next_funding_moment(instrument, now)
            if announced.get(instrument.pk) != moment:
                services.announce_funding_rate(instrument, rate=feed.funding_rate(instrument), now=now)
                announced[instrument.pk] = moment

    def _apply(self, batch: list[FeedQuote], by_symbol: dict[str, Instrument]) -> int:
        actions = 0
        accepted = []
        for item in batch:
            instrument = by_symbol[item.symbol]
            try:
                actions += services.process_quote(instrument, bid=item.bid, ask=item.ask)
            except DomainError as refusal:
                self.stderr.write(f"{item.symbol}: {refusal.message}")
                continue
            accepted.append(live.PublishedQuote(instrument.pk, item.symbol, item.bid, item.ask, timezone.now()))
        live.publish_quotes(accepted)
        return actions
