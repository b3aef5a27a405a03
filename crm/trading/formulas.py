"""The engine's arithmetic: margin, profit, hedged margin, swaps, stop-out, funding. Pure functions on Decimal.

Every definition follows `../shared/reference/trading-formulas.md` (the MT5 calc modes, the MT5 hedging
methods, swap modes, stop-out variants, perpetual funding); `tests/trading/test_formulas.py` reproduces each
of its worked examples. Nothing here touches the database: services pass numbers in and store what comes out.

Rounding: money results are rounded by the caller's currency (`round_money`), and sums of separately charged
parts (uncovered + hedged margin) are rounded part by part, as the platforms show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
BANK_YEAR_DAYS = Decimal(360)


class CalcMode(IntEnum):
    """MT5 `ENUM_SYMBOL_CALC_MODE` values (000 Instruments `profitCalcMode` / `marginCalcMode`)."""

    FOREX = 0
    FUTURES = 1
    CFD = 2
    CFD_INDEX = 3
    CFD_LEVERAGE = 4
    FOREX_NO_LEVERAGE = 5
    EXCH_STOCKS = 32


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class SwapMode(IntEnum):
    """MT5 `ENUM_SYMBOL_SWAP_MODE` values 0-8."""

    DISABLED = 0
    POINTS = 1
    CURRENCY_SYMBOL = 2
    CURRENCY_MARGIN = 3
    CURRENCY_DEPOSIT = 4
    INTEREST_CURRENT = 5
    INTEREST_OPEN = 6
    REOPEN_CURRENT = 7
    REOPEN_BID = 8


class StopOutPolicy(StrEnum):
    """Which position a stop-out closes first (trading-formulas.md section 7)."""

    LARGEST_LOSS = "largest_loss"
    FIFO = "fifo"
    LARGEST_MARGIN = "largest_margin"


def money(value: Decimal, places: int = 2) -> Decimal:
    """Round a money figure as the platforms display it (half up at the currency's minor units)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- margin and profit by calc mode (section 1) -------------------------------------------------------------


def margin(
    mode: CalcMode,
    *,
    lots: Decimal,
    contract_size: Decimal,
    price: Decimal,
    leverage: Decimal = ONE,
    margin_rate: Decimal = ONE,
    tick_price: Decimal = ONE,
    tick_size: Decimal = ONE,
    initial_margin: Decimal | None = None,
) -> Decimal:
    """Margin in the instrument's margin currency, unrounded.

    `price` is the market price the mode uses (Ask for a buy, Bid for a sell); `initial_margin`, when set,
    replaces the formula ("fixed margin": volume x initial margin, divided by the leverage for Forex and
    CFD Leverage).
    """
    if initial_margin is not None and initial_margin > 0:
        fixed = lots * initial_margin
        if mode in (CalcMode.FOREX, CalcMode.CFD_LEVERAGE):
            fixed /= leverage
        return fixed * margin_rate
    if mode == CalcMode.FOREX:
        return lots * contract_size / leverage * margin_rate
    if mode == CalcMode.FOREX_NO_LEVERAGE:
        return lots * contract_size * margin_rate
    if mode == CalcMode.FUTURES:
        return ZERO
    if mode in (CalcMode.CFD, CalcMode.EXCH_STOCKS):
        return lots * contract_size * price * margin_rate
    if mode == CalcMode.CFD_INDEX:
        return lots * contract_size * price * tick_price / tick_size * margin_rate
    if mode == CalcMode.CFD_LEVERAGE:
        return lots * contract_size * price / leverage * margin_rate
    raise ValueError(f"Unknown calc mode {mode!r}")


def profit(
    mode: CalcMode,
    *,
    side: Side,
    lots: Decimal,
    contract_size: Decimal,
    open_price: Decimal,
    close_price: Decimal,
    tick_price: Decimal = ONE,
    tick_size: Decimal = ONE,
) -> Decimal:
    """Profit in the instrument's profit currency, unrounded; a sell earns when the price falls."""
    move = close_price - open_price if side == Side.BUY else open_price - close_price
    if mode == CalcMode.FUTURES:
        return move * tick_price / tick_size * lots
    return move * contract_size * lots


def margin_level(equity: Decimal, used_margin: Decimal) -> Decimal | None:
    """Equity / margin x 100 in percent; None with no margin in use."""
    if used_margin <= 0:
        return None
    return equity / used_margin * HUNDRED


# --- several positions on one symbol (sections 2 and 5) -------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """A position or pending order for the hedging formulas: side, volume in lots, price."""

    side: Side
    lots: Decimal
    price: Decimal


def _volume_and_notional(legs: Iterable[Leg], side: Side) -> tuple[Decimal, Decimal]:
    """Total lots on a side and sum(lots x price): the weighted average price is notional / volume."""
    chosen = [leg for leg in legs if leg.side == side]
    return sum((leg.lots for leg in chosen), ZERO), sum((leg.lots * leg.price for leg in chosen), ZERO)


def same_direction_margin(
    legs: Sequence[Leg], *, contract_size: Decimal, leverage: Decimal, margin_rate: Decimal = ONE
) -> Decimal:
    """CFD Leverage margin of positions in one direction: volumes summed at the weighted average open price."""
    side = legs[0].side
    _volume, notional = _volume_and_notional(legs, side)
    return notional * contract_size / leverage * margin_rate


def hedged_margin_basic(
    positions: Sequence[Leg],
    *,
    contract_size: Decimal,
    leverage: Decimal,
    buy_rate: Decimal = ONE,
    sell_rate: Decimal = ONE,
    hedged_contract_size: Decimal = ZERO,
    places: int = 2,
) -> Decimal:
    """MT5 "basic" hedged margin of opposite positions on one symbol (price-based Forex/CFD Leverage).

    Uncovered volume (larger leg minus smaller leg) at the larger leg's weighted price and rate; covered volume
    only when `hedged_contract_size` is set, at the weighted price of all positions and the average of both
    rates. Each part is rounded, then summed.
    """
    buy_volume, buy_notional = _volume_and_notional(positions, Side.BUY)
    sell_volume, sell_notional = _volume_and_notional(positions, Side.SELL)
    if buy_volume >= sell_volume:
        larger_volume, larger_notional, larger_rate = buy_volume, buy_notional, buy_rate
    else:
        larger_volume, larger_notional, larger_rate = sell_volume, sell_notional, sell_rate
    covered = min(buy_volume, sell_volume)
    uncovered = larger_volume - covered
    uncovered_margin = ZERO
    if uncovered > 0:
        uncovered_margin = uncovered * contract_size * (larger_notional / larger_volume) * larger_rate / leverage
    hedged_margin = ZERO
    if covered > 0 and hedged_contract_size > 0:
        average_price = (buy_notional + sell_notional) / (buy_volume + sell_volume)
        hedged_rate = (buy_rate + sell_rate) / 2
        hedged_margin = covered * hedged_contract_size * average_price * hedged_rate / leverage
    return money(uncovered_margin, places) + money(hedged_margin, places)


def hedged_margin_larger_leg(
    legs: Sequence[Leg],
    *,
    contract_size: Decimal,
    leverage: Decimal,
    margin_rate: Decimal = ONE,
    places: int = 2,
) -> Decimal:
    """MT5 "calculate hedged margin using larger leg": positions and pending orders of each side, the larger side.

    Each leg is charged at its own price (Forex margin converted to the deposit currency at the leg's price).
    """
    sides = []
    for side in (Side.BUY, Side.SELL):
        total = sum(
            (
                money(leg.lots * contract_size * leg.price / leverage * margin_rate, places)
                for leg in legs
                if leg.side == side
            ),
            ZERO,
        )
        sides.append(total)
    return max(sides)


def fixed_margin_reserved(*, buy_lots: Decimal, sell_lots: Decimal, maintenance: Decimal, hedged: Decimal) -> Decimal:
    """Fixed-margin symbol: hedged margin per covered lot plus maintenance margin per uncovered lot."""
    covered = min(buy_lots, sell_lots)
    return covered * hedged + (max(buy_lots, sell_lots) - covered) * maintenance


def fixed_margin_to_open(
    *,
    buy_lots: Decimal,
    sell_lots: Decimal,
    order_side: Side,
    order_lots: Decimal,
    initial: Decimal,
    maintenance: Decimal,
    hedged: Decimal,
) -> Decimal:
    """Margin an order needs on a fixed-margin symbol: what is reserved, plus hedged margin for the volume it
    covers, plus initial margin for the volume it leaves uncovered."""
    opposite = sell_lots if order_side == Side.BUY else buy_lots
    same = buy_lots if order_side == Side.BUY else sell_lots
    free_opposite = max(opposite - same, ZERO)
    newly_covered = min(order_lots, free_opposite)
    reserved = fixed_margin_reserved(buy_lots=buy_lots, sell_lots=sell_lots, maintenance=maintenance, hedged=hedged)
    return reserved + newly_covered * hedged + (order_lots - newly_covered) * initial


def netting_margin_with_order(
    *, position: Leg | None, order: Leg, margin_per_lot: Decimal, places: int = 2
) -> Decimal:
    """Netting: margin while an order is pending against a position (section 2, "Orders versus positions").

    Same direction: the sum. Opposite: the larger of the position's margin and the margin of what the fill
    would leave, so an order that reduces the position never raises the margin.
    """
    if position is None:
        return money(order.lots * margin_per_lot, places)
    held = money(position.lots * margin_per_lot, places)
    if position.side == order.side:
        return money((position.lots + order.lots) * margin_per_lot, places)
    after = money(abs(position.lots - order.lots) * margin_per_lot, places)
    return max(held, after)


# --- swaps (section 6) ------------------------------------------------------------------------------------------


def swap_days(rollover_day: dt.date, *, triple_weekday: int) -> int:
    """Days charged at a rollover: 3 on the triple day (0 = Sunday, as `SYMBOL_SWAP_ROLLOVER3DAYS`), else 1.

    Rollovers happen on trading days; Saturday and Sunday charge nothing (the triple day paid for the weekend).
    """
    weekday = (rollover_day.weekday() + 1) % 7  # Python Monday=0 -> MT5 Sunday=0
    if weekday in (0, 6):
        return 0
    return 3 if weekday == triple_weekday else 1


def swap_points(*, lots: Decimal, contract_size: Decimal, point: Decimal, swap: Decimal, days: int = 1) -> Decimal:
    """Swap in points: swap x point price, point price = lots x contract size x point (profit currency)."""
    return swap * lots * contract_size * point * days


def swap_per_lot(*, lots: Decimal, swap: Decimal, days: int = 1) -> Decimal:
    """Swap in money per lot (CURRENCY_SYMBOL / CURRENCY_MARGIN / CURRENCY_DEPOSIT; B2TRADER "Fix")."""
    return swap * lots * days


def swap_interest(
    *, lots: Decimal, contract_size: Decimal, price: Decimal, annual_percent: Decimal, days: int = 1
) -> Decimal:
    """Swap by annual interest: percent / 100 / 360 x price x contract size x lots x days."""
    return annual_percent / HUNDRED / BANK_YEAR_DAYS * price * contract_size * lots * days


# --- stop-out (sections 4, 7, 8) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenPosition:
    """What the stop-out order needs to know of a position."""

    key: int
    symbol: str
    opened_at: dt.datetime
    profit: Decimal
    margin: Decimal


def stop_out_order(positions: Iterable[OpenPosition], policy: StopOutPolicy) -> list[OpenPosition]:
    """The order in which a stop-out closes positions (the caller re-checks the level after each close).

    Largest loss first (MT5 default); FIFO: the oldest position of each symbol, among those the greatest loss;
    largest margin first (cTrader Fair). Ties go to the older position.
    """
    items = list(positions)
    if policy == StopOutPolicy.LARGEST_MARGIN:
        return sorted(items, key=lambda p: (-p.margin, p.opened_at, p.key))
    if policy == StopOutPolicy.LARGEST_LOSS:
        return sorted(items, key=lambda p: (p.profit, p.opened_at, p.key))
    ordered: list[OpenPosition] = []
    remaining = sorted(items, key=lambda p: (p.opened_at, p.key))
    while remaining:
        oldest_per_symbol: dict[str, OpenPosition] = {}
        for item in remaining:
            oldest_per_symbol.setdefault(item.symbol, item)
        chosen = min(oldest_per_symbol.values(), key=lambda p: (p.profit, p.opened_at, p.key))
        ordered.append(chosen)
        remaining.remove(chosen)
    return ordered


def is_stop_out(*, equity: Decimal, used_margin: Decimal, level_percent: Decimal) -> bool:
    """True when the margin level is below the stop-out level (percent)."""
    level = margin_level(equity, used_margin)
    return level is not None and level < level_percent


def smart_stop_out_volume(
    *,
    equity: Decimal,
    used_margin: Decimal,
    margin_per_unit: Decimal,
    level_percent: Decimal,
    increment: Decimal,
    max_volume: Decimal,
) -> Decimal:
    """cTrader Smart Stop Out: the smallest multiple of `increment` to close from the largest-margin position
    that brings the margin level back to `level_percent` (equity does not move: the loss is realised); the whole
    position when no part is enough."""
    steps = 0
    volume = ZERO
    while volume < max_volume:
        steps += 1
        volume = min(increment * steps, max_volume)
        remaining = used_margin - margin_per_unit * volume
        if remaining <= 0 or equity / remaining * HUNDRED >= level_percent:
            return volume
    return max_volume


def stop_out_comment(*, equity: Decimal, used_margin: Decimal) -> str:
    """The MT4-style mark of a stop-out close: `[so: 49.7% 248.4/500.0]` (margin level, equity, margin)."""
    level = margin_level(equity, used_margin) or ZERO
    return f"[so: {money(level, 1)}% {money(equity, 1)}/{money(used_margin, 1)}]"


# --- perpetual funding (section 9) ------------------------------------------------------------------------------

FUNDING_HOURS = (0, 8, 16)


def funding_amount(*, side: Side, mark_price: Decimal, size: Decimal, rate: Decimal) -> Decimal:
    """What a position pays (negative) or receives at a funding time: nominal x rate, longs pay a positive rate."""
    nominal = mark_price * size
    payment = nominal * rate
    return -payment if side == Side.BUY else payment


def funding_times(start: dt.datetime, end: dt.datetime, *, interval_hours: int = 8) -> list[dt.datetime]:
    """Funding moments in (start, end]: every `interval_hours` from 00:00 UTC."""
    moment = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    moment -= dt.timedelta(hours=moment.hour % interval_hours)
    times = []
    while moment <= end:
        if moment > start:
            times.append(moment)
        moment += dt.timedelta(hours=interval_hours)
    return times


# --- commission rules (001 commission profiles) -----------------------------------------------------------------

FEE_PERCENT, FEE_PER_LOT, FEE_FIXED = "Percent", "PerLot", "Fixed"


def rule_fee(fee_type: str, *, size: Decimal, lots: Decimal, notional: Decimal) -> Decimal:
    """A commission rule's fee for one deal, before the minimum: percent of the notional, per lot, or per trade."""
    if fee_type == FEE_PERCENT:
        return notional * size / HUNDRED
    if fee_type == FEE_PER_LOT:
        return lots * size
    return size


# --- slippage -----------------------------------------------------------------------------------------------------


def slipped_price(price: Decimal, *, side: Side, rate_percent: Decimal, draw: Decimal, point: Decimal) -> Decimal:
    """`price` moved by `draw` (-1..1; positive is against the client: a buy higher, a sell lower) times
    `rate_percent` of it, truncated to whole points, so the fill never lies further than the rate from the price."""
    if not rate_percent or not draw:
        return price
    move = (price * rate_percent / HUNDRED * draw / point).to_integral_value(rounding=ROUND_DOWN) * point
    return price + move if side == Side.BUY else price - move
