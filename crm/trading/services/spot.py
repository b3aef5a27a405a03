"""Spot orders: buy or sell a market's base asset for its quote asset, with amounts instead of lots and leverage.

An order gives the base amount, or the quote amount to spend (buy) or receive (sell). It is an `Order` like any
other (`lots` = base amount / lot size), so the dealing desk's lists, the engine's triggers for limit and stop
orders, cancelling and expiry work for it unchanged; only its execution differs: `execution._fill` hands a spot
market's order to `fill_spot_order`, which opens no position but moves the assets.

Money: the fill is one journal entry keyed by the fill's id (the execution id), so it is posted once. The account
pays from its wallet in that asset (its own wallet for its own currency, else its `SpotHolding` wallet) and the
B-book counterparty (`trading` system account) takes the other side in each asset; the fee, in the quote asset,
goes to fee income. Buy: quote wallet -(quote + fee), base wallet +base. Sell: base wallet -base, quote wallet
+(quote - fee). Rounding favours the house: a buy's quote amount is rounded up, a sell's down.

Concurrency: the account row is locked first (as every trading write does), then its asset wallets; two orders of
one account run one after the other, and the second sees what the first spent. The ledger refuses a balance
below zero whatever happens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.core.services import record_activity
from crm.trading import formulas, selectors
from crm.trading.exceptions import InsufficientAssets, InvalidPrice, InvalidVolume, TradingNotAllowed
from crm.trading.models import FeeType, GroupTradingSettings, Instrument, Order, Quote, SpotFill, SpotHolding
from crm.trading.services.execution import (
    _check_account,
    _check_pending_price,
    _check_tradable,
    _check_volume,
    _plain,
    check_order_value,
    check_quote_age,
    fill_price,
    lock_account,
)
from crm.wallets import services as wallet_services
from crm.wallets.models import Currency, Wallet

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def is_spot(instrument: Instrument) -> bool:
    return instrument.market_type == Instrument.MarketType.SPOT


def _currencies(instrument: Instrument) -> tuple[Currency, Currency]:
    """(base, quote) currencies of a spot market; a market whose assets the ledger does not know cannot trade."""
    codes = [instrument.margin_currency, instrument.profit_currency]
    found = {c.code: c for c in Currency.objects.filter(code__in=codes, is_enabled=True)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise TradingNotAllowed(
            gettext("%(symbol)s trades assets the ledger does not hold: %(codes)s.")
            % {"symbol": instrument.symbol, "codes": ", ".join(missing)},
            fields={"instrument": [gettext("Not available.")]},
        )
    return found[codes[0]], found[codes[1]]


def asset_wallet(account: Wallet, currency: Currency, *, create: bool = False) -> Wallet | None:
    """The account's wallet holding `currency`: the account itself for its own currency, else its holding's wallet
    (opened on first use when `create`; the caller holds the account lock, so two fills never open two)."""
    if currency.code == account.currency_id:
        return account
    if account.customer is None:
        raise TradingNotAllowed(gettext("Only a client's account holds assets."))
    holding = SpotHolding.objects.select_related("wallet").filter(account=account, currency=currency).first()
    if holding is not None:
        return holding.wallet
    if not create:
        return None
    wallet = wallet_services.create_wallet(
        account.customer,
        currency=currency,
        actor=None,
        is_demo=account.is_demo,
        wallet_type=Wallet.Type.EXCHANGE,
        caption=f"{account.number} {currency.code}",
    )
    # Assets move only by trading: selling them back is the way out.
    wallet = wallet_services.update_wallet(
        wallet, actor=None, can_deposit=False, can_withdraw=False, can_transfer=False
    )
    SpotHolding.objects.create(account=account, wallet=wallet, currency=currency)
    return wallet


def _lots_for_quote(instrument: Instrument, quote_amount: Decimal, price: Decimal) -> Decimal:
    """The most lots (on the market's lot grid) that `quote_amount` buys or sells at `price`."""
    raw = quote_amount / price / instrument.contract_size
    if raw < instrument.min_lot:
        problem = gettext("%(amount)s buys less than the smallest volume of %(symbol)s.") % {
            "amount": quote_amount.normalize(),
            "symbol": instrument.symbol,
        }
        raise InvalidVolume(problem, fields={"quote_amount": [problem]})
    steps = ((raw - instrument.min_lot) / instrument.lot_step).to_integral_value(rounding=ROUND_FLOOR)
    return min(instrument.min_lot + steps * instrument.lot_step, instrument.max_lot)


def spot_fee(
    account: Wallet,
    settings: GroupTradingSettings,
    instrument: Instrument,
    *,
    lots: Decimal,
    quote_amount: Decimal,
    quote_currency: Currency,
    rates: selectors.Rates | None = None,
) -> Decimal:
    """The fee of a spot trade in the quote asset, in two parts that add up as a CFD deal's commission does
    (`selectors.deal_commission`): the group's commission per lot (account currency, converted), the broker's; and
    the spot fee of the group's commission profile's first matching rule, the platform's: a percent of the quote
    amount, an amount of the quote asset per lot, or a fixed amount of it per trade, at least `min_fee` (given in
    the account currency, converted).
    """
    rate: Decimal | None = ONE if account.currency_id == quote_currency.code else None

    def to_quote() -> Decimal:
        nonlocal rate
        if rate is None:
            rate = (rates or selectors.Rates.load()).rate(account.currency_id, quote_currency.code)
        return rate

    fee = ZERO
    per_lot = selectors.instrument_terms(settings, instrument)[2]
    if per_lot:
        fee += lots * per_lot * to_quote()
    rule = selectors.commission_rule(settings.commission_profile_id, instrument)
    if rule is not None:
        if rule.spot_fee_type == FeeType.PERCENT:
            rule_fee = quote_amount * rule.spot_fee_size / HUNDRED
        elif rule.spot_fee_type == FeeType.PER_LOT:
            rule_fee = lots * rule.spot_fee_size
        else:
            rule_fee = rule.spot_fee_size
        if rule.min_fee:
            rule_fee = max(rule_fee, rule.min_fee * to_quote())
        fee += rule_fee
    return fee.quantize(quote_currency.quantum, rounding=ROUND_HALF_EVEN)


def quote_for(side: str, base: Decimal, price: Decimal, currency: Currency) -> Decimal:
    """The quote amount of `base` at `price`, rounded for the house: up when the client pays, down when paid."""
    return (base * price).quantize(currency.quantum, rounding=ROUND_UP if side == formulas.Side.BUY else ROUND_DOWN)


def _base_of(instrument: Instrument, lots: Decimal, base_currency: Currency) -> Decimal:
    base = lots * instrument.contract_size
    if base != base.quantize(base_currency.quantum):
        problem = gettext("%(amount)s has more decimals than %(code)s allows.") % {
            "amount": base.normalize(),
            "code": base_currency.code,
        }
        raise InvalidVolume(problem, fields={"base_amount": [problem]})
    return base


@dataclass(frozen=True)
class SpotFigures:
    """What a spot order of `lots` at `price` exchanges: base, quote before the fee, the fee (quote asset), and
    the total the client pays (buy: quote + fee) or receives (sell: quote - fee)."""

    base_currency: Currency
    quote_currency: Currency
    lots: Decimal
    base_amount: Decimal
    quote_amount: Decimal
    fee: Decimal
    total: Decimal


def spot_order_figures(
    account: Wallet,
    instrument: Instrument,
    *,
    side: str,
    price: Decimal,
    lots: Decimal | None = None,
    base_amount: Decimal | None = None,
    quote_amount: Decimal | None = None,
    settings: GroupTradingSettings | None = None,
) -> SpotFigures:
    """The figures of a spot order given in lots, base amount or quote amount (a read: the fill and the
    pre-trade calculation share it). A quote amount buys or sells the most base the lot grid allows."""
    base_currency, quote_currency = _currencies(instrument)
    if lots is None:
        if quote_amount is not None:
            lots = _lots_for_quote(instrument, quote_amount, price)
        else:
            lots = (base_amount or ZERO) / instrument.contract_size
    base = _base_of(instrument, lots, base_currency)
    quote_value = quote_for(side, base, price, quote_currency)
    settings = settings if settings is not None else selectors.group_settings(account)
    fee = spot_fee(account, settings, instrument, lots=lots, quote_amount=quote_value, quote_currency=quote_currency)
    total = quote_value + fee if side == formulas.Side.BUY else quote_value - fee
    return SpotFigures(base_currency, quote_currency, lots, base, quote_value, fee, total)


@transaction.atomic
def place_spot_order(
    account: Wallet,
    *,
    instrument: Instrument,
    side: str,
    base_amount: Decimal | None = None,
    quote_amount: Decimal | None = None,
    order_type: str = Order.Type.MARKET,
    price: Decimal | None = None,
    expires_at: dt.datetime | None = None,
    actor: Any = None,
) -> Order:
    """Place a spot order by base amount or by quote amount: a market order fills at once or is refused (nothing
    written); a limit or stop order waits. A quote amount becomes the most base the market's lot grid allows at
    the fill price (market) or the order's price (limit, stop)."""
    if not is_spot(instrument):
        raise TradingNotAllowed(
            gettext("%(symbol)s is not a spot market.") % {"symbol": instrument.symbol},
            fields={"instrument": [gettext("Not a spot market.")]},
        )
    if (base_amount is None) == (quote_amount is None):
        message = gettext("Give either the base amount or the quote amount.")
        raise InvalidVolume(message, fields={"base_amount": [message]})
    for name, value in (("base_amount", base_amount), ("quote_amount", quote_amount)):
        if value is not None and value <= 0:
            raise InvalidVolume(gettext("Must be above zero."), fields={name: [gettext("Must be above zero.")]})
    account = lock_account(account)
    _check_account(account)
    base_currency, quote_currency = _currencies(instrument)
    settings = selectors.group_settings(account)
    now = timezone.now()
    markup, _ = _check_tradable(instrument, settings, now)
    quote = selectors.last_quote(instrument)
    market = selectors.open_price_for(side, quote, instrument, markup)
    if order_type == Order.Type.MARKET:
        check_quote_age(instrument, quote, now)
    else:
        if price is None or price <= 0:
            raise InvalidPrice(
                gettext("A limit or stop order needs a price."), fields={"price": [gettext("Required.")]}
            )
        _check_pending_price(side, order_type, price, market)
        if expires_at is not None and expires_at <= now:
            raise InvalidPrice(
                gettext("The expiry is in the past."), fields={"expires_at": [gettext("Must be in the future.")]}
            )
    if quote_amount is not None:
        if quote_amount != quote_amount.quantize(quote_currency.quantum):
            problem = gettext("%(code)s takes %(places)s decimals.") % {
                "code": quote_currency.code,
                "places": quote_currency.minor_units,
            }
            raise InvalidVolume(problem, fields={"quote_amount": [problem]})
        lots = _lots_for_quote(
            instrument, quote_amount, market if order_type == Order.Type.MARKET else price or market
        )
    else:
        lots = (base_amount or ZERO) / instrument.contract_size
    _check_volume(instrument, lots)
    check_order_value(instrument, lots, market if order_type == Order.Type.MARKET else price or market)
    _base_of(instrument, lots, base_currency)
    order = Order(
        account=account,
        instrument=instrument,
        side=side,
        type=order_type,
        lots=lots,
        price=None if order_type == Order.Type.MARKET else price,
        expires_at=expires_at,
        time_in_force=Order.TimeInForce.GTD if expires_at else Order.TimeInForce.GTC,
        created_by=user_or_none(actor),
    )
    order.save()
    if order_type == Order.Type.MARKET:
        fill_spot_order(order, account=account, settings=settings, quote=quote, actor=actor, requested=price)
    else:
        record_activity(actor=actor, action="trading.order_placed", target=order, data={"account": account.number})
    return order


def fill_spot_order(
    order: Order,
    *,
    account: Wallet,
    settings: GroupTradingSettings,
    quote: Quote,
    actor: Any = None,
    requested: Decimal | None = None,
) -> SpotFill:
    """Execute a spot order whose account is locked, at the current bid/ask with the group's markup (and, for a
    market or stop order, slippage within the price deviation, as CFD orders: `execution.fill_price`).

    Raises before writing anything when the market does not trade now or the account lacks the asset it pays
    with (`InsufficientAssets`).
    """
    instrument = order.instrument
    if order.stop_loss is not None or order.take_profit is not None:
        raise InvalidPrice(
            gettext("Spot orders take no stop loss or take profit."),
            fields={"stop_loss": [gettext("Not offered on spot markets.")]},
        )
    markup, _ = _check_tradable(instrument, settings, timezone.now())
    price = fill_price(order, selectors.open_price_for(order.side, quote, instrument, markup), requested=requested)
    figures = spot_order_figures(account, instrument, side=order.side, price=price, lots=order.lots, settings=settings)
    base_currency, quote_currency = figures.base_currency, figures.quote_currency
    base, quote_amount, fee = figures.base_amount, figures.quote_amount, figures.fee
    buying = order.side == formulas.Side.BUY
    pays_currency, pays = (quote_currency, quote_amount + fee) if buying else (base_currency, base)
    if not buying and fee >= quote_amount:
        raise InsufficientAssets(
            gettext("The fee (%(fee)s %(code)s) takes all the proceeds of this sale.")
            % {"fee": fee, "code": quote_currency.code},
            fields={"base_amount": [gettext("Too small for the fee.")]},
        )
    paying = asset_wallet(account, pays_currency)
    locked = {account.pk: account}
    if paying is not None and paying.pk != account.pk:
        locked.update(wallet_services.lock_wallets([paying.pk]))
    held = locked[paying.pk].balance if paying is not None else ZERO
    if paying is None or held < pays:
        short = gettext("Not enough %(code)s.") % {"code": pays_currency.code}
        raise InsufficientAssets(
            gettext("Not enough %(code)s: the order needs %(needed)s and the account holds %(held)s.")
            % {"code": pays_currency.code, "needed": pays, "held": held},
            fields={"quote_amount" if buying else "base_amount": [short]},
        )
    receiving = asset_wallet(account, quote_currency if not buying else base_currency, create=True)
    if receiving is None:  # pragma: no cover - created when missing
        raise TradingNotAllowed(gettext("Only a client's account holds assets."))
    if receiving.pk not in locked:
        locked.update(wallet_services.lock_wallets([receiving.pk]))
    now = timezone.now()
    fill = SpotFill.objects.create(
        order=order,
        account=account,
        instrument=instrument,
        side=order.side,
        base_currency=base_currency,
        quote_currency=quote_currency,
        base_amount=base,
        quote_amount=quote_amount,
        price=price,
        fee=fee,
        created_at=now,
    )
    wallet_services.post_entry(
        idempotency_key=f"trading:spot:{fill.pk}",
        postings=_postings(fill, paying=locked[paying.pk], receiving=locked[receiving.pk]),
        kind="TRADING_SPOT",
        description=f"Spot {order.side} {_text(base)} {base_currency.code} @ {_text(price)}, fill #{fill.pk}",
        locked=locked,
    )
    order.status = Order.Status.FILLED
    order.fill_price = price
    order.filled_at = now
    order.save(update_fields=["status", "fill_price", "filled_at", "updated_at"])
    record_activity(actor=actor, action="trading.spot_filled", target=order, data={"fill": fill.pk})
    emit("order.filled", **fill_payload(fill, account=account))
    return fill


def _postings(fill: SpotFill, *, paying: Wallet, receiving: Wallet) -> list[tuple[Wallet, Decimal]]:
    """The fill's legs: the account's two assets against the B-book counterparty in each, and the fee income."""
    base_side = wallet_services.system_account(Wallet.SystemCode.TRADING, fill.base_currency_id)
    quote_side = wallet_services.system_account(Wallet.SystemCode.TRADING, fill.quote_currency_id)
    if fill.side == formulas.Side.BUY:
        legs = [
            (paying, -(fill.quote_amount + fill.fee)),
            (quote_side, fill.quote_amount),
            (receiving, fill.base_amount),
            (base_side, -fill.base_amount),
        ]
    else:
        legs = [
            (paying, -fill.base_amount),
            (base_side, fill.base_amount),
            (receiving, fill.quote_amount - fill.fee),
            (quote_side, -fill.quote_amount),
        ]
    if fill.fee:
        legs.append((wallet_services.system_account("fee_income", fill.quote_currency_id), fill.fee))
    return legs


def fill_payload(fill: SpotFill, *, account: Wallet) -> dict[str, Any]:
    """`order.filled` of a spot fill: the order and, for the affiliates' volume, the payload of a closed trade
    (crm/affiliates/services/actions.py) with the fill's id, lots, fee in the quote asset and no holding time."""
    instrument = fill.instrument
    when = fill.created_at.isoformat()
    return {
        "order_id": fill.order_id,
        "position_id": None,
        "fill_id": fill.pk,
        "market_type": instrument.market_type,
        "account_id": account.pk,
        "customer_id": account.customer_id,
        "instrument": instrument.symbol,
        "instrument_group": instrument.category,
        "side": fill.side,
        "lots": _plain(fill.order.lots),
        "base_amount": _text(fill.base_amount),
        "quote_amount": _text(fill.quote_amount),
        "price": _text(fill.price),
        "commission": _text(fill.fee),
        "spread": "0",
        "currency": fill.quote_currency_id,
        "opened_at": when,
        "closed_at": when,
    }


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")
