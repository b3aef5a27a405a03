"""Quote feeds: the interface the engine reads prices through, and the built-in offline sandbox feed.

A feed yields `FeedQuote`s; `run_price_feed` hands each to `services.process_quote`. The sandbox feed is a
seeded random walk (the same seed gives the same prices), starting from each instrument's last quote or a
typical price, with a spread of a few points and steps of a few points, so the demo trades offline.

For perpetual markets the sandbox feed also quotes a funding rate: the premium of the price over where the walk
started, as exchanges derive it from the premium index, a hundredth of it, within +-0.075% (rounded to 1e-8).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from crm.trading.models import Instrument, Quote

# Typical prices to start the walk from when an instrument has no quote yet.
START_PRICES: dict[str, Decimal] = {
    "EURUSD": Decimal("1.08500"),
    "GBPUSD": Decimal("1.26500"),
    "USDJPY": Decimal("151.200"),
    "AUDUSD": Decimal("0.65800"),
    "USDCHF": Decimal("0.88500"),
    "XAUUSD": Decimal("2350.00"),
    "US500": Decimal("5200.0"),
    "BTCUSD": Decimal("64000.00"),
}
SPREAD_POINTS = 15
STEP_POINTS = 8
MAX_FUNDING_RATE = Decimal("0.00075")
FUNDING_DAMPING = 100


@dataclass(frozen=True)
class FeedQuote:
    symbol: str
    bid: Decimal
    ask: Decimal


class QuoteFeed(Protocol):
    """What the engine needs from a price source: batches of quotes, one batch per tick."""

    def ticks(self) -> Iterator[list[FeedQuote]]: ...


class SandboxFeed:
    """A deterministic random walk over the given instruments (offline, seeded)."""

    def __init__(self, instruments: Iterable[Instrument], *, seed: int = 0) -> None:
        self.instruments = list(instruments)
        self.rng = random.Random(seed)  # noqa: S311 - prices for a demo, not secrets
        last = dict(Quote.objects.filter(instrument__in=self.instruments).values_list("instrument_id", "bid"))
        self.mid = {
            item.pk: last.get(item.pk) or START_PRICES.get(item.symbol, Decimal(100)) for item in self.instruments
        }
        self.start = dict(self.mid)

    def step(self) -> list[FeedQuote]:
        """One quote per instrument, a few points away from the previous one."""
        batch = []
        for item in self.instruments:
            point = item.point
            move = self.rng.randint(-STEP_POINTS, STEP_POINTS) * point
            mid = max(self.mid[item.pk] + move, point * 100)
            self.mid[item.pk] = mid
            spread = self.rng.randint(SPREAD_POINTS // 2, SPREAD_POINTS) * point
            bid = mid.quantize(point)
            batch.append(FeedQuote(item.symbol, bid, bid + spread))
        return batch

    def ticks(self) -> Iterator[list[FeedQuote]]:
        while True:
            yield self.step()

    def funding_rate(self, instrument: Instrument) -> Decimal:
        """The funding rate the walk's premium gives a perpetual market now (positive: longs pay)."""
        start = self.start[instrument.pk]
        premium = (self.mid[instrument.pk] - start) / start / FUNDING_DAMPING
        return max(-MAX_FUNDING_RATE, min(MAX_FUNDING_RATE, premium)).quantize(Decimal("1e-8"))
