"""The tick bus between the feed process and the engine processes: one Redis stream per symbol.

The feed (`run_price_feed --publish`) appends each quote to `trading:ticks:<SYMBOL>` (capped, so Redis keeps the
last few thousand); each engine (`run_trading_engine --symbols ...`) reads the streams of the symbols it owns, from
the newest entry on, so an engine that restarts does not replay old prices (it rebuilds from the database).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import redis
from django.conf import settings

from crm.trading.feeds import FeedQuote

STREAM_PREFIX = "trading:ticks:"
STREAM_LENGTH = 5000


@dataclass(frozen=True)
class Tick:
    symbol: str
    bid: Decimal
    ask: Decimal
    time: dt.datetime
    id: str = ""


def stream(symbol: str) -> str:
    return f"{STREAM_PREFIX}{symbol}"


def connect(url: str | None = None) -> redis.Redis:
    """A client of the Redis the ticks travel through (REDIS_URL); raises when none is configured."""
    url = url or settings.REDIS_URL
    if not url:
        raise RuntimeError("The tick bus needs REDIS_URL.")
    client: redis.Redis = redis.Redis.from_url(url)
    return client


def publish(client: redis.Redis, quotes: Iterable[FeedQuote], *, time: dt.datetime | None = None) -> int:
    """Append one batch of quotes to their symbols' streams in one round trip; returns how many."""
    moment = (time or dt.datetime.now(dt.UTC)).isoformat()
    pipe = client.pipeline(transaction=False)
    count = 0
    for quote in quotes:
        fields: dict[Any, Any] = {"bid": str(quote.bid), "ask": str(quote.ask), "time": moment}
        pipe.xadd(stream(quote.symbol), fields, maxlen=STREAM_LENGTH, approximate=True)
        count += 1
    pipe.execute()
    return count


class Reader:
    """Reads the streams of some symbols in order, starting after the newest entry at creation."""

    def __init__(self, client: redis.Redis, symbols: Sequence[str]) -> None:
        self.client = client
        self.positions: dict[str, str] = {}
        for symbol in symbols:
            last = client.xrevrange(stream(symbol), count=1)
            self.positions[stream(symbol)] = _text(last[0][0]) if last else "0-0"

    def read(self, *, block_ms: int = 1000, count: int = 500) -> list[Tick]:
        """The ticks published since the last read (waiting up to `block_ms` for the first one)."""
        answer: Any = self.client.xread(self.positions, count=count, block=block_ms)  # type: ignore[arg-type]
        ticks: list[Tick] = []
        for name, entries in answer or []:
            key = _text(name)
            symbol = key.removeprefix(STREAM_PREFIX)
            for entry_id, fields in entries:
                values = {_text(k): _text(v) for k, v in fields.items()}
                ticks.append(
                    Tick(
                        symbol=symbol,
                        bid=Decimal(values["bid"]),
                        ask=Decimal(values["ask"]),
                        time=dt.datetime.fromisoformat(values["time"]),
                        id=_text(entry_id),
                    )
                )
                self.positions[key] = _text(entry_id)
        return ticks


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
