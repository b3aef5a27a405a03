"""An engine process (`manage.py run_trading_engine`): owns a set of symbols, keeps their open positions and
pending orders in memory, and turns each tick read from Redis into the trading services' calls.

On start it rebuilds its book from the database; then, before each batch of ticks, it reads the rows changed since
the last look (positions and orders carry `updated_at`; a few seconds of overlap cover transactions committing
late), and every `rebuild_every` seconds it rebuilds whole. A tick is stored (`store_quote`); the book says which
pending orders and which stop losses / take profits it triggers, and only those go to `fill_pending_order` and
`close_position` (which lock the account and re-check, so a tick and a client never both close a position); then
every account with an open position in the symbol gets `check_stop_out` (margin call, stop-out, figures).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.trading import live, services
from crm.trading.models import Instrument, Order, Position
from crm.trading.ticks import Tick
from crm.wallets.models import Wallet

logger = logging.getLogger(__name__)
SYNC_OVERLAP = dt.timedelta(seconds=5)


@dataclass
class BookPosition:
    id: int
    account_id: int
    side: str
    stop_loss: Decimal | None
    take_profit: Decimal | None


@dataclass
class BookOrder:
    id: int
    side: str
    type: str
    price: Decimal


@dataclass
class SymbolBook:
    positions: dict[int, BookPosition] = field(default_factory=dict)
    orders: dict[int, BookOrder] = field(default_factory=dict)


class Book:
    """Open positions and pending orders of the owned symbols, as the engine sees them between ticks."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.instruments = {item.pk: item for item in instruments}
        self.by_symbol = {item.symbol: SymbolBook() for item in self.instruments.values()}
        self.synced_at: dt.datetime | None = None

    def rebuild(self) -> None:
        """Everything from the database (start, and every so often)."""
        started = timezone.now()
        for book in self.by_symbol.values():
            book.positions.clear()
            book.orders.clear()
        self._load(
            Position.objects.open().filter(instrument_id__in=self.instruments),
            Order.objects.pending().filter(instrument_id__in=self.instruments),
        )
        self.synced_at = started

    def sync(self) -> None:
        """The rows changed since the last look: new ones added, changed ones replaced, closed/filled removed."""
        if self.synced_at is None:
            self.rebuild()
            return
        started = timezone.now()
        since = self.synced_at - SYNC_OVERLAP
        self._load(
            Position.objects.builtin().filter(instrument_id__in=self.instruments, updated_at__gte=since),
            Order.objects.filter(instrument_id__in=self.instruments, updated_at__gte=since),
        )
        self.synced_at = started

    def _load(self, positions: Iterable[Position], orders: Iterable[Order]) -> None:
        for position in positions:
            book = self.by_symbol[self.instruments[position.instrument_id].symbol]
            if position.status == Position.Status.OPEN:
                book.positions[position.pk] = BookPosition(
                    position.pk, position.account_id, position.side, position.stop_loss, position.take_profit
                )
            else:
                book.positions.pop(position.pk, None)
        for order in orders:
            book = self.by_symbol[self.instruments[order.instrument_id].symbol]
            if order.status == Order.Status.PENDING and order.price is not None:
                book.orders[order.pk] = BookOrder(order.pk, order.side, order.type, order.price)
            else:
                book.orders.pop(order.pk, None)

    def triggered_orders(self, symbol: str, bid: Decimal, ask: Decimal) -> list[int]:
        """Buy limit at ask <= price, buy stop at ask >= price; sell limit at bid >= price, stop at bid <= price."""
        hit = []
        for order in self.by_symbol[symbol].orders.values():
            if order.side == "buy":
                fired = ask <= order.price if order.type == Order.Type.LIMIT else ask >= order.price
            else:
                fired = bid >= order.price if order.type == Order.Type.LIMIT else bid <= order.price
            if fired:
                hit.append(order.id)
        return sorted(hit)

    def triggered_positions(self, symbol: str, bid: Decimal, ask: Decimal) -> list[tuple[int, str]]:
        """A buy closes at the bid (SL at or over it hits, TP at or under it); a sell at the ask, the other way."""
        reason = Position.CloseReason
        hit = []
        for position in self.by_symbol[symbol].positions.values():
            if position.side == "buy":
                stop = position.stop_loss is not None and bid <= position.stop_loss
                take = position.take_profit is not None and bid >= position.take_profit
            else:
                stop = position.stop_loss is not None and ask >= position.stop_loss
                take = position.take_profit is not None and ask <= position.take_profit
            if stop or take:
                hit.append((position.id, reason.STOP_LOSS if stop else reason.TAKE_PROFIT))
        return sorted(hit)

    def accounts(self, symbol: str) -> list[int]:
        return sorted({position.account_id for position in self.by_symbol[symbol].positions.values()})

    @property
    def open_positions(self) -> int:
        return sum(len(book.positions) for book in self.by_symbol.values())


class Engine:
    """Applies ticks of its symbols through the trading services; the book tells it what each tick touches."""

    def __init__(self, symbols: Sequence[str] | None = None, *, rebuild_every: float = 300.0) -> None:
        instruments = Instrument.objects.enabled()
        if symbols:
            instruments = instruments.filter(symbol__in=symbols)
        self.instruments = {item.symbol: item for item in instruments}
        unknown = sorted(set(symbols or ()) - set(self.instruments))
        if unknown:
            raise ValueError(f"Unknown or disabled symbols: {', '.join(unknown)}")
        self.book = Book(self.instruments.values())
        self.rebuild_every = rebuild_every
        self.rebuilt_at = 0.0

    @property
    def symbols(self) -> list[str]:
        return sorted(self.instruments)

    def start(self) -> None:
        self.book.rebuild()
        self.rebuilt_at = time.monotonic()

    def refresh(self) -> None:
        if time.monotonic() - self.rebuilt_at >= self.rebuild_every:
            self.start()
        else:
            self.book.sync()

    def process(self, ticks: Iterable[Tick]) -> int:
        """Apply a batch of ticks (only the newest per symbol counts); returns the engine actions taken."""
        latest: dict[str, Tick] = {}
        for tick in ticks:
            if tick.symbol in self.instruments:
                latest[tick.symbol] = tick
        if not latest:
            return 0
        self.refresh()
        actions = 0
        accepted = []
        for symbol in sorted(latest):
            tick = latest[symbol]
            try:
                actions += self.apply(tick)
            except DomainError as refusal:
                logger.warning("tick %s refused: %s", symbol, refusal.message)
                continue
            instrument = self.instruments[symbol]
            accepted.append(live.PublishedQuote(instrument.pk, symbol, tick.bid, tick.ask, tick.time))
        live.publish_quotes(accepted)  # on to the portals' live sockets
        return actions

    def apply(self, tick: Tick) -> int:
        instrument = self.instruments[tick.symbol]
        services.store_quote(instrument, bid=tick.bid, ask=tick.ask, time=tick.time)
        actions = 0
        for order_id in self.book.triggered_orders(tick.symbol, tick.bid, tick.ask):
            order = Order.objects.select_related("account").filter(pk=order_id).first()
            if order is not None:
                services.fill_pending_order(order)
                actions += 1
        for position_id, reason in self.book.triggered_positions(tick.symbol, tick.bid, tick.ask):
            position = Position.objects.select_related("account").filter(pk=position_id).first()
            if position is not None and services.close_position(position, reason=reason, if_open=True) is not None:
                actions += 1
        if actions:
            self.book.sync()
        for account_id in self.book.accounts(tick.symbol):
            actions += services.check_stop_out(Wallet(pk=account_id))
        return actions
