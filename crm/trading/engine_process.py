"""An engine process (`manage.py run_trading_engine`): owns a set of symbols, keeps their open positions and
pending orders in memory, and turns each tick read from Redis into the trading services' calls.

On start it rebuilds its book from the database; then, before each batch of ticks, it reads the rows changed since
the last look (positions and orders carry `updated_at`; a few seconds of overlap cover transactions committing
late), and every `rebuild_every` seconds it rebuilds whole. A tick is stored (`store_quote`); the book says which
pending orders and which stop losses / take profits it triggers, and only those go to `fill_pending_order` and
`close_position` (which lock the account and re-check, so a tick and a client never both close a position).

Stop-out on the tick path: the book keeps an estimate of each account's margin level in memory (balance and credit
from the wallet, each position's floating profit at the tick's bid/ask without the group's markup, its margin as if
alone, which never under-states the hedged margin) and only the accounts whose estimate is under their group's
margin call level times `GUARD`, or that were at risk at their last tick, go to `check_stop_out` (exact: margin
call, stop-out, figures). The account figures of the others are written by the minute's `check_accounts_task`.
Before, every account with a position in the symbol was checked on every tick (a few queries each).
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
from crm.trading import formulas, live, selectors, services
from crm.trading.models import GroupTradingSettings, Instrument, MarginCall, Order, Position
from crm.trading.ticks import Tick
from crm.wallets.models import Wallet

logger = logging.getLogger(__name__)
SYNC_OVERLAP = dt.timedelta(seconds=5)


GUARD = 1.10  # how far over the margin call level an estimated level still gets the exact check


@dataclass
class BookPosition:
    id: int
    account_id: int
    side: str
    stop_loss: Decimal | None
    take_profit: Decimal | None
    open_price: float = 0.0
    per_price: float = 0.0  # floating profit in the account currency per unit of (close price - open price)
    margin: float = 0.0  # in the account currency, as if alone
    profit: float = 0.0  # at the last tick


@dataclass
class BookAccount:
    """What the book knows of an account between ticks, in floats (an estimate; money is the services')."""

    funds: float = 0.0  # balance + credit
    margin_call_level: float = 100.0
    floating: float = 0.0
    margin: float = 0.0
    at_risk: bool = False


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
    # The positions as flat lists for the per-tick arithmetic, rebuilt after the positions change (None: stale).
    flat: FlatPositions | None = None

    def settle(self) -> None:
        """Write the flat lists' last profits back to the positions and mark the lists stale (before a change)."""
        if self.flat is not None:
            for position, profit in zip(self.flat.positions, self.flat.profits, strict=True):
                position.profit = profit
            self.flat = None


@dataclass
class FlatPositions:
    positions: list[BookPosition]
    accounts: list[BookAccount | None]
    is_buy: list[bool]
    opens: list[float]
    per_price: list[float]
    profits: list[float]
    unique_accounts: list[tuple[int, BookAccount]]
    # Stop loss and take profit as floats signed by side (a sell's negated), so one comparison fits both sides:
    # the signed close price <= stop key hits the stop, >= take key the take profit (inf: none).
    stop_keys: list[float]
    take_keys: list[float]

    @classmethod
    def of(cls, positions: Iterable[BookPosition], figures: dict[int, BookAccount]) -> FlatPositions:
        rows = list(positions)
        accounts = [figures.get(p.account_id) for p in rows]
        unique = {p.account_id: a for p, a in zip(rows, accounts, strict=True) if a is not None}
        return cls(
            positions=rows,
            accounts=accounts,
            is_buy=[p.side == "buy" for p in rows],
            opens=[p.open_price for p in rows],
            per_price=[p.per_price for p in rows],
            profits=[p.profit for p in rows],
            unique_accounts=sorted(unique.items()),
            stop_keys=[_key(p.stop_loss, p.side, none=-INF) for p in rows],
            take_keys=[_key(p.take_profit, p.side, none=INF) for p in rows],
        )


INF = float("inf")


def _key(price: Decimal | None, side: str, *, none: float) -> float:
    if price is None:
        return none if side == "buy" else -none
    return float(price) if side == "buy" else -float(price)


class Book:
    """Open positions and pending orders of the owned symbols, as the engine sees them between ticks."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.instruments = {item.pk: item for item in instruments}
        self.by_symbol = {item.symbol: SymbolBook() for item in self.instruments.values()}
        self.figures: dict[int, BookAccount] = {}
        self.synced_at: dt.datetime | None = None
        self._wallets: dict[int, Wallet] = {}
        self._rates: selectors.Rates | None = None

    def rebuild(self) -> None:
        """Everything from the database (start, and every so often)."""
        started = timezone.now()
        for book in self.by_symbol.values():
            book.positions.clear()
            book.orders.clear()
            book.flat = None
        self.figures.clear()
        self._wallets.clear()
        self._rates = selectors.Rates.load()
        positions = list(Position.objects.open().filter(instrument_id__in=self.instruments))
        self._load_accounts({position.account_id for position in positions}, every=True)
        self._load(positions, Order.objects.pending().filter(instrument_id__in=self.instruments))
        at_risk = MarginCall.objects.filter(account_id__in=self.figures).values_list("account_id", flat=True)
        for account_id in at_risk:
            self.figures[account_id].at_risk = True
        self.synced_at = started

    def sync(self) -> None:
        """The rows changed since the last look: new ones added, changed ones replaced, closed/filled removed."""
        if self.synced_at is None:
            self.rebuild()
            return
        started = timezone.now()
        since = self.synced_at - SYNC_OVERLAP
        positions = list(Position.objects.builtin().filter(instrument_id__in=self.instruments, updated_at__gte=since))
        new_accounts = {p.account_id for p in positions if p.account_id not in self.figures}
        self._load_accounts(new_accounts, every=True)
        self._load_accounts(set(self.figures) - new_accounts, since=since)
        self._load(positions, Order.objects.filter(instrument_id__in=self.instruments, updated_at__gte=since))
        self.synced_at = started

    def _load_accounts(self, ids: set[int], *, every: bool = False, since: dt.datetime | None = None) -> None:
        """The wallets' balance and credit (all of `ids`, or those changed since `since`) and their groups' levels."""
        if not ids:
            return
        wallets = Wallet.objects.filter(pk__in=ids).select_related("currency")
        if every:
            rows = list(wallets)
        else:  # the wallets changed lately (few), not a list of every account the book knows
            rows = [w for w in Wallet.objects.filter(updated_at__gte=since).select_related("currency") if w.pk in ids]
        groups = {row.group_id for row in rows if row.group_id is not None}
        levels = dict(
            GroupTradingSettings.objects.filter(group_id__in=groups).values_list("group_id", "margin_call_level")
        )
        for wallet in rows:
            self._wallets[wallet.pk] = wallet
            account = self.figures.setdefault(wallet.pk, BookAccount())
            account.funds = float(wallet.balance + wallet.credit)
            default = GroupTradingSettings().margin_call_level
            level = levels.get(wallet.group_id, default) if wallet.group_id is not None else default
            account.margin_call_level = float(level)

    def _load(self, positions: Iterable[Position], orders: Iterable[Order]) -> None:
        for position in positions:
            book = self.by_symbol[self.instruments[position.instrument_id].symbol]
            book.settle()
            old = book.positions.pop(position.pk, None)
            if old is not None:
                self._account_add(old, sign=-1)
            if position.status == Position.Status.OPEN:
                entry = self._book_position(position)
                book.positions[position.pk] = entry
                self._account_add(entry, sign=1)
        for order in orders:
            book = self.by_symbol[self.instruments[order.instrument_id].symbol]
            if order.status == Order.Status.PENDING and order.price is not None:
                book.orders[order.pk] = BookOrder(order.pk, order.side, order.type, order.price)
            else:
                book.orders.pop(order.pk, None)

    def _book_position(self, position: Position) -> BookPosition:
        instrument = self.instruments[position.instrument_id]
        position.instrument = instrument
        wallet = self._wallets.get(position.account_id)
        entry = BookPosition(position.pk, position.account_id, position.side, position.stop_loss, position.take_profit)
        if wallet is None:
            return entry
        rates = self._rates or selectors.Rates.load()
        self._rates = rates
        try:
            per_unit = formulas.profit(
                formulas.CalcMode(instrument.profit_calc_mode),
                side=formulas.Side(position.side),
                lots=position.lots,
                contract_size=instrument.contract_size,
                open_price=Decimal(0),
                close_price=Decimal(1),
                tick_price=instrument.tick_value,
                tick_size=instrument.tick_size,
            )
            conversion = rates.rate(instrument.profit_currency, wallet.currency_id)
            margin = selectors.position_margin(
                position,
                leverage=selectors.leverage_of(wallet, instrument),
                rates=rates,
                currency=wallet.currency_id,
            )
        except DomainError:  # no rate to the account currency: leave it to the exact check
            entry.margin = float("inf")
            return entry
        entry.open_price = float(position.open_price)
        entry.per_price = float(per_unit * conversion)
        entry.margin = float(margin)
        return entry

    def _account_add(self, position: BookPosition, *, sign: int) -> None:
        account = self.figures.get(position.account_id)
        if account is not None:
            account.margin += sign * position.margin
            account.floating += sign * position.profit

    def at_risk(self, symbol: str, bid: Decimal, ask: Decimal) -> list[int]:
        """Move the symbol's floating profits to this tick and return the accounts for the exact stop-out check:
        estimated level under margin call x GUARD, or at risk at their last tick (so a recovery is seen too)."""
        flat = self._flat(symbol)
        bid_f, ask_f = float(bid), float(ask)
        profits = [
            ((bid_f if buy else ask_f) - opened) * per
            for buy, opened, per in zip(flat.is_buy, flat.opens, flat.per_price, strict=True)
        ]
        for account, new, old in zip(flat.accounts, profits, flat.profits, strict=True):
            if account is not None:
                account.floating += new - old
        flat.profits = profits
        checked = []
        for account_id, account in flat.unique_accounts:
            margin = account.margin
            risky = (
                margin > 0 and (account.funds + account.floating) * 100 < margin * account.margin_call_level * GUARD
            )
            if risky or account.at_risk:
                checked.append(account_id)
            account.at_risk = risky
        return checked

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

    def _flat(self, symbol: str) -> FlatPositions:
        book = self.by_symbol[symbol]
        if book.flat is None:
            book.flat = FlatPositions.of(book.positions.values(), self.figures)
        return book.flat

    def triggered_positions(self, symbol: str, bid: Decimal, ask: Decimal) -> list[tuple[int, str]]:
        """A buy closes at the bid (SL at or over it hits, TP at or under it); a sell at the ask, the other way.

        Floats pick the candidates (a rounding to floats keeps the order, so none is missed); Decimal decides."""
        flat = self._flat(symbol)
        buy_at, sell_at = float(bid), -float(ask)
        candidates = [
            position
            for position, buy, stop, take in zip(
                flat.positions, flat.is_buy, flat.stop_keys, flat.take_keys, strict=True
            )
            if (buy_at if buy else sell_at) <= stop or (buy_at if buy else sell_at) >= take
        ]
        reason = Position.CloseReason
        hit = []
        for position in candidates:
            if position.side == "buy":
                stop_hit = position.stop_loss is not None and bid <= position.stop_loss
                take_hit = position.take_profit is not None and bid >= position.take_profit
            else:
                stop_hit = position.stop_loss is not None and ask >= position.stop_loss
                take_hit = position.take_profit is not None and ask <= position.take_profit
            if stop_hit or take_hit:
                hit.append((position.id, reason.STOP_LOSS if stop_hit else reason.TAKE_PROFIT))
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
        for account_id in self.book.at_risk(tick.symbol, tick.bid, tick.ask):
            actions += services.check_stop_out(Wallet(pk=account_id))
        return actions
