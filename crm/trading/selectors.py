"""Reads of the engine: prices with markups, currency conversion, an account's equity and margin, exposure.

Margin of positions is computed at their open prices (as the hedging examples of trading-formulas.md do) and
converted into the account currency at the current quote; floating profit at the current close side (bid for a
buy, ask for a sell) with the group's markup, converted at the mid price.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from crm.trading import formulas
from crm.trading.exceptions import NoQuote
from crm.trading.models import (
    CommissionRule,
    Downtime,
    FeeType,
    GroupInstrument,
    GroupTradingSettings,
    Instrument,
    Position,
    Quote,
    SessionOverride,
)
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet

DEFAULT_LEVERAGE = 100
ZERO = Decimal(0)


def group_settings(account: Wallet) -> GroupTradingSettings:
    """The account group's trading settings; an account without any trades with the defaults (unsaved)."""
    if account.group_id is None:
        return GroupTradingSettings()
    found = GroupTradingSettings.objects.filter(group_id=account.group_id).first()
    return found or GroupTradingSettings(group_id=account.group_id)


def instrument_terms(settings: GroupTradingSettings, instrument: Instrument) -> tuple[bool, int, Decimal]:
    """(enabled, markup points, commission per lot) of an instrument in a group."""
    row = None
    if settings.pk:
        row = GroupInstrument.objects.filter(settings=settings, instrument=instrument).first()
    if row is None:
        return True, settings.markup_points, settings.commission_per_lot
    markup = settings.markup_points if row.markup_points is None else row.markup_points
    commission = settings.commission_per_lot if row.commission_per_lot is None else row.commission_per_lot
    return row.is_enabled, markup, commission


def commission_rule(profile_id: int | None, instrument: Instrument) -> CommissionRule | None:
    """The profile's first rule by priority that applies to the instrument: its own, its market group's, or the
    default rule; None without a profile or a matching rule."""
    if profile_id is None:
        return None
    scope = (
        Q(instrument=instrument)
        | Q(market_group_id=instrument.market_group_id, market_group__isnull=False)
        | Q(instrument__isnull=True, market_group__isnull=True)
    )
    rules = CommissionRule.objects.filter(scope, profile_id=profile_id).select_related("cfd_fee_asset")
    return rules.order_by("priority", "pk").first()


def deal_commission(
    account: Wallet,
    settings: GroupTradingSettings,
    instrument: Instrument,
    *,
    lots: Decimal,
    price: Decimal,
    per_lot: Decimal,
) -> Decimal:
    """The commission of one deal (each side, opening and closing), in the account currency, rounded to its cents.

    Two parts that add up: the group's commission per lot (000 Group, or the group's row for the instrument), the
    broker's own charge; and the fee of the highest-priority rule of the group's commission profile that matches
    the market (001 commission profiles), the platform's. A CFD or perpetual rule charges `cfd_fee_type`: a percent
    of the notional (lots x contract size x deal price, in the profit currency), or `cfd_fee_size` per lot or per
    deal in `cfd_fee_asset` (the account currency when none), never less than `min_fee` (in the same asset).
    Spot rules (`spot_fee_*`) are the spot markets' and are not charged here. Amounts in another currency are
    converted at the mid rate.
    """
    total = lots * per_lot
    rule = commission_rule(settings.commission_profile_id, instrument)
    if rule is not None and instrument.market_type != Instrument.MarketType.SPOT:
        currency = account.currency_id
        fee_currency = rule.cfd_fee_asset.code if rule.cfd_fee_asset is not None else currency
        source = instrument.profit_currency if rule.cfd_fee_type == FeeType.PERCENT else fee_currency
        rates = Rates.load() if {source, fee_currency} != {currency} else Rates()
        fee = formulas.rule_fee(
            rule.cfd_fee_type, size=rule.cfd_fee_size, lots=lots, notional=lots * instrument.contract_size * price
        )
        fee *= rates.rate(source, currency)
        total += max(fee, rule.min_fee * rates.rate(fee_currency, currency))
    return total.quantize(account.currency.quantum, ROUND_HALF_EVEN)


def open_positions(account: Wallet) -> QuerySet[Position]:
    """The account's open positions with their instruments, oldest first."""
    return Position.objects.open().filter(account=account).select_related("instrument").order_by("opened_at", "pk")


def leverage_of(account: Wallet, instrument: Instrument) -> Decimal:
    if instrument.is_const_leverage and instrument.max_leverage:
        return Decimal(instrument.max_leverage)
    leverage = account.leverage or DEFAULT_LEVERAGE
    if instrument.max_leverage:
        leverage = min(leverage, instrument.max_leverage)
    return Decimal(leverage)


def last_quote(instrument: Instrument) -> Quote:
    quote = Quote.objects.filter(instrument=instrument).first()
    if quote is None:
        raise NoQuote(
            gettext("There is no price for %(symbol)s yet.") % {"symbol": instrument.symbol},
            fields={"instrument": [gettext("No price yet.")]},
        )
    return quote


def open_price_for(side: str, quote: Quote, instrument: Instrument, markup_points: int) -> Decimal:
    """Where a new position fills: the ask plus markup for a buy, the bid minus markup for a sell."""
    markup = instrument.point * markup_points
    return quote.ask + markup if side == formulas.Side.BUY else quote.bid - markup


def close_price_for(side: str, quote: Quote, instrument: Instrument, markup_points: int) -> Decimal:
    """Where a position closes: the opposite side of the quote, with markup."""
    opposite = formulas.Side.SELL if side == formulas.Side.BUY else formulas.Side.BUY
    return open_price_for(opposite, quote, instrument, markup_points)


@dataclass
class Rates:
    """Conversion rates between currencies from the instruments' quotes, then the wallets' exchange rates."""

    quotes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Rates:
        rows = Quote.objects.values_list("instrument__symbol", "bid", "ask")
        return cls({symbol: (bid, ask) for symbol, bid, ask in rows})

    def quote_of(self, symbol: str) -> Quote | None:
        """The loaded quote of a symbol as an unsaved row, or None."""
        pair = self.quotes.get(symbol)
        return Quote(bid=pair[0], ask=pair[1]) if pair else None

    def rate(self, source: str, target: str, *, use: str = "mid") -> Decimal:
        """Units of `target` per unit of `source`; `use` picks ask (buys), bid (sells) or mid."""
        if source == target:
            return Decimal(1)
        direct = self.quotes.get(f"{source}{target}")
        if direct is not None:
            return _pick(direct, use)
        inverse = self.quotes.get(f"{target}{source}")
        if inverse is not None:
            return Decimal(1) / _pick(inverse, {"ask": "bid", "bid": "ask"}.get(use, use))
        return wallet_services.current_rate(source, target)


def _pick(quote: tuple[Decimal, Decimal], use: str) -> Decimal:
    bid, ask = quote
    if use == "bid":
        return bid
    if use == "ask":
        return ask
    return (bid + ask) / 2


def position_margin(position: Position, *, leverage: Decimal, rates: Rates, currency: str) -> Decimal:
    """One position's margin in the account currency, as if it were alone (stop-out order, dealing desk)."""
    instrument = position.instrument
    rate = instrument.margin_rate_long if position.side == formulas.Side.BUY else instrument.margin_rate_short
    in_margin_currency = formulas.margin(
        formulas.CalcMode(instrument.margin_calc_mode),
        lots=position.lots,
        contract_size=instrument.contract_size,
        price=position.open_price,
        leverage=leverage,
        margin_rate=rate,
        tick_price=instrument.tick_value,
        tick_size=instrument.tick_size,
        initial_margin=instrument.initial_margin,
    )
    use = "ask" if position.side == formulas.Side.BUY else "bid"
    source = _margin_source(instrument)
    return in_margin_currency * rates.rate(source, currency, use=use)


def _margin_source(instrument: Instrument) -> str:
    """Price-based modes give margin in the profit currency; Forex modes in the margin (base) currency."""
    if instrument.margin_calc_mode in (formulas.CalcMode.FOREX, formulas.CalcMode.FOREX_NO_LEVERAGE):
        return instrument.margin_currency
    return instrument.profit_currency


def symbol_margin(
    positions: list[Position], *, leverage: Decimal, rates: Rates, currency: str, hedging_mode: str
) -> Decimal:
    """Margin of an account's positions on one symbol with the group's hedging method (section 5)."""
    by_side: dict[str, list[Decimal]] = {formulas.Side.BUY: [], formulas.Side.SELL: []}
    volume: dict[str, Decimal] = {formulas.Side.BUY: ZERO, formulas.Side.SELL: ZERO}
    for position in positions:
        by_side[position.side].append(position_margin(position, leverage=leverage, rates=rates, currency=currency))
        volume[position.side] += position.lots
    buy, sell = sum(by_side["buy"], ZERO), sum(by_side["sell"], ZERO)
    if hedging_mode == GroupTradingSettings.HedgingMode.LARGER_LEG:
        return max(buy, sell)
    covered = min(volume["buy"], volume["sell"])
    if covered == 0:
        return buy + sell
    larger = "buy" if volume["buy"] >= volume["sell"] else "sell"
    larger_margin = buy if larger == "buy" else sell
    uncovered_margin = larger_margin * (volume[larger] - covered) / volume[larger]
    instrument = positions[0].instrument
    hedged_share = instrument.hedged_margin / instrument.contract_size
    per_lot_average = (buy / volume["buy"] + sell / volume["sell"]) / 2
    return uncovered_margin + covered * hedged_share * per_lot_average


def floating_profit(position: Position, *, quote: Quote, markup_points: int, rates: Rates, currency: str) -> Decimal:
    """Unrealised profit of a position in the account currency, unrounded."""
    instrument = position.instrument
    in_profit_currency = formulas.profit(
        formulas.CalcMode(instrument.profit_calc_mode),
        side=formulas.Side(position.side),
        lots=position.lots,
        contract_size=instrument.contract_size,
        open_price=position.open_price,
        close_price=close_price_for(position.side, quote, instrument, markup_points),
        tick_price=instrument.tick_value,
        tick_size=instrument.tick_size,
    )
    return in_profit_currency * rates.rate(instrument.profit_currency, currency)


@dataclass
class AccountState:
    """An account's figures in its currency: balance, credit, floating profit, equity, margin, free margin, level."""

    balance: Decimal
    credit: Decimal
    floating: Decimal
    margin: Decimal
    profits: dict[int, Decimal] = field(default_factory=dict)
    margins: dict[int, Decimal] = field(default_factory=dict)

    @property
    def equity(self) -> Decimal:
        return self.balance + self.credit + self.floating

    @property
    def free_margin(self) -> Decimal:
        return self.equity - self.margin

    @property
    def margin_level(self) -> Decimal | None:
        return formulas.margin_level(self.equity, self.margin)


def account_state(
    account: Wallet,
    *,
    positions: Iterable[Position] | None = None,
    settings: GroupTradingSettings | None = None,
    rates: Rates | None = None,
) -> AccountState:
    """Equity and margin of an account from its open positions (or the ones given, e.g. with a new one added)."""
    settings = settings or group_settings(account)
    rates = rates or Rates.load()
    if positions is None:
        positions = open_positions(account)
    currency = account.currency_id
    per_symbol: dict[int, list[Position]] = defaultdict(list)
    state = AccountState(balance=account.balance, credit=account.credit, floating=ZERO, margin=ZERO)
    for position in positions:
        per_symbol[position.instrument_id].append(position)
        leverage = leverage_of(account, position.instrument)
        quote = rates.quote_of(position.instrument.symbol)
        if quote is not None:
            profit = floating_profit(
                position, quote=quote, markup_points=settings.markup_points, rates=rates, currency=currency
            )
            state.profits[position.pk] = profit
            state.floating += profit
        state.margins[position.pk] = position_margin(position, leverage=leverage, rates=rates, currency=currency)
    for items in per_symbol.values():
        leverage = leverage_of(account, items[0].instrument)
        state.margin += symbol_margin(
            items, leverage=leverage, rates=rates, currency=currency, hedging_mode=settings.hedging_mode
        )
    return state


def exposure_by_symbol(queryset: QuerySet[Position] | None = None) -> list[dict[str, Any]]:
    """Open volume per symbol (buy lots, sell lots, net lots, positions, accounts), for the dealing desk: one query."""
    queryset = Position.objects.open() if queryset is None else queryset.filter(status=Position.Status.OPEN)
    money = DecimalField(max_digits=28, decimal_places=8)
    rows = (
        queryset.values("instrument__symbol")
        .annotate(
            buy_lots=Coalesce(Sum("lots", filter=Q(side="buy")), Value(ZERO), output_field=money),
            sell_lots=Coalesce(Sum("lots", filter=Q(side="sell")), Value(ZERO), output_field=money),
            positions=Count("id"),
            accounts=Count("account", distinct=True),
        )
        .order_by("instrument__symbol")
    )
    return [{**row, "net_lots": row["buy_lots"] - row["sell_lots"]} for row in rows]


def is_session_open(instrument: Instrument, moment: dt.datetime) -> bool:
    """Within the instrument's trading hours (UTC): a dated override of that day, else the weekly sessions.

    An instrument without sessions and without an override that day is always open.
    """
    moment = moment.astimezone(dt.UTC)
    now = moment.strftime("%H:%M")
    override = SessionOverride.objects.filter(instrument=instrument, date=moment.date()).first()
    if override is not None:
        return any(start <= now < end for start, end in override.sessions)
    if not instrument.sessions:
        return True
    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][moment.weekday()]
    return any(start <= now < end for start, end in instrument.sessions.get(day, []))


@dataclass(frozen=True)
class TradableInstrument:
    """An instrument as an account's group trades it: its markup and commission, and its quote with the markup."""

    instrument: Instrument
    markup_points: int
    commission_per_lot: Decimal
    bid: Decimal | None
    ask: Decimal | None

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


def tradable_instruments(account: Wallet) -> list[TradableInstrument]:
    """Enabled instruments the account's group does not switch off, in the instruments' order (three queries)."""
    settings = group_settings(account)
    overrides: dict[int, GroupInstrument] = {}
    if settings.pk:
        overrides = {row.instrument_id: row for row in GroupInstrument.objects.filter(settings=settings)}
    rows = []
    for instrument in Instrument.objects.enabled().for_list().order_by("sort_order", "symbol"):
        override = overrides.get(instrument.pk)
        if override is not None and not override.is_enabled:
            continue
        markup = settings.markup_points
        commission = settings.commission_per_lot
        if override is not None and override.markup_points is not None:
            markup = override.markup_points
        if override is not None and override.commission_per_lot is not None:
            commission = override.commission_per_lot
        quote = instrument.quote if _has_quote(instrument) else None
        rows.append(
            TradableInstrument(
                instrument=instrument,
                markup_points=markup,
                commission_per_lot=commission,
                bid=None if quote is None else quote.bid - instrument.point * markup,
                ask=None if quote is None else quote.ask + instrument.point * markup,
            )
        )
    return rows


def _has_quote(instrument: Instrument) -> bool:
    try:
        instrument.quote  # noqa: B018 - joined by for_list(); a missing one raises
    except Quote.DoesNotExist:
        return False
    return True


def active_downtime(instrument: Instrument, moment: dt.datetime) -> Downtime | None:
    """The downtime halting the instrument at that moment, if any."""
    return (
        Downtime.objects.filter(instruments=instrument, starts_at__lte=moment, ends_at__gt=moment)
        .order_by("ends_at")
        .first()
    )
