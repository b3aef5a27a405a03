"""Orders and positions: place, fill, modify, cancel, close. Every write locks the account first.

Lock order: the account (wallet row, `lock_wallets`), then the order or position row. A tick closing a position
and a client closing it by hand both take the account lock first, and the second finds it closed. Every money
effect is a journal entry through `post_entry` keyed by the deal id (`trading:deal:<id>:<what>`), so it
happens once; a refusal raises before anything is written.

Slippage: a market fill (a market order, a triggered stop order, and every close but a take profit) moves from the
quote by a random share of the instrument's `slippage_rate` either way (`slippage_draw`, which tests replace to fix
the fill). A market or stop order whose fill lies further than the instrument's `price_deviation` (percent) from
the price asked (the stop price; the market order's `price` when given, else the quote) is refused.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.core.services import record_activity
from crm.trading import formulas, selectors
from crm.trading.exceptions import (
    InDowntime,
    InvalidPrice,
    InvalidVolume,
    MarketClosed,
    NoQuote,
    NotEnoughMargin,
    OrderNotPending,
    PositionClosed,
    TradingNotAllowed,
)
from crm.trading.models import Deal, GroupTradingSettings, Instrument, Order, Position, Quote
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet

TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)
ZERO = Decimal(0)


def slippage_draw() -> Decimal:
    """How far this fill slips, uniform in -1..1 in steps of 0.0001 (positive: against the client)."""
    return Decimal(secrets.randbelow(20001) - 10000) / 10000


def slip(price: Decimal, *, side: str, instrument: Instrument) -> Decimal:
    """`price` with this fill's slippage, within the instrument's slippage rate."""
    if not instrument.slippage_rate:
        return price
    return formulas.slipped_price(
        price,
        side=formulas.Side(side),
        rate_percent=instrument.slippage_rate,
        draw=slippage_draw(),
        point=instrument.point,
    )


def fill_price(order: Order, quoted: Decimal, *, requested: Decimal | None) -> Decimal:
    """Where an order fills, from the quoted price (bid/ask with markup): a limit order at it; a market or stop
    order with slippage, refused beyond the price deviation from the price asked (`requested`, a market order's
    optional price) or the stop price."""
    if order.type == Order.Type.LIMIT:
        return quoted
    asked = order.price if order.type == Order.Type.STOP and order.price is not None else requested or quoted
    slipped = slip(quoted, side=order.side, instrument=order.instrument)
    _check_deviation(order.instrument, asked, slipped)
    return slipped


def _check_deviation(instrument: Instrument, requested: Decimal, fill_at: Decimal) -> None:
    """Refuse a fill further than the instrument's price deviation (percent) from the price asked."""
    if not instrument.price_deviation or requested <= 0:
        return
    move = abs(fill_at - requested) / requested * 100
    if move > instrument.price_deviation:
        message = gettext(
            "%(symbol)s would fill at %(fill)s, %(move)s%% away from %(price)s, over the allowed %(allowed)s%%."
        ) % {
            "symbol": instrument.symbol,
            "fill": fill_at,
            "move": f"{move:.2f}",
            "price": requested,
            "allowed": instrument.price_deviation.normalize(),
        }
        raise InvalidPrice(message, fields={"price": [gettext("Beyond the price deviation.")]})


def lock_account(account: Wallet) -> Wallet:
    """The account row locked for this transaction (fresh balance, currency loaded)."""
    locked = wallet_services.lock_wallets([account.pk])
    if account.pk not in locked:
        raise TradingNotAllowed(
            gettext("This account cannot trade."), fields={"account": [gettext("Not a trading account.")]}
        )
    return locked[account.pk]


def _check_account(account: Wallet) -> None:
    if account.type not in TRADING_TYPES:
        raise TradingNotAllowed(
            gettext("Wallet %(number)s is not a trading account.") % {"number": account.number},
            fields={"account": [gettext("Not a trading account.")]},
        )
    if not account.is_enabled:
        raise TradingNotAllowed(
            gettext("Account %(number)s is disabled.") % {"number": account.number},
            fields={"account": [gettext("Disabled.")]},
        )


def _check_volume(instrument: Instrument, lots: Decimal) -> None:
    problem = ""
    if lots < instrument.min_lot:
        problem = gettext("The smallest volume of %(symbol)s is %(lots)s lots.") % {
            "symbol": instrument.symbol,
            "lots": instrument.min_lot.normalize(),
        }
    elif lots > instrument.max_lot:
        problem = gettext("The largest volume of %(symbol)s is %(lots)s lots.") % {
            "symbol": instrument.symbol,
            "lots": instrument.max_lot.normalize(),
        }
    elif (lots - instrument.min_lot) % instrument.lot_step != 0:
        problem = gettext("Volumes of %(symbol)s go in steps of %(lots)s lots.") % {
            "symbol": instrument.symbol,
            "lots": instrument.lot_step.normalize(),
        }
    if problem:
        raise InvalidVolume(problem, fields={"lots": [problem]})


def check_order_value(instrument: Instrument, lots: Decimal, price: Decimal) -> None:
    """Refuse an order worth less than the market's `min_quote_amount` (lots x contract size x price, in the
    quote currency)."""
    smallest = instrument.min_quote_amount
    if smallest and lots * instrument.contract_size * price < smallest:
        problem = gettext("The smallest order of %(symbol)s is worth %(amount)s %(currency)s.") % {
            "symbol": instrument.symbol,
            "amount": _plain(smallest),
            "currency": instrument.profit_currency,
        }
        raise InvalidVolume(problem, fields={"lots": [problem]})


def check_quote_age(instrument: Instrument, quote: Quote, moment: dt.datetime) -> None:
    """A market fill needs a price younger than the market's `internal_ttl` seconds (0: any age will do)."""
    ttl = instrument.internal_ttl
    if ttl and (moment - quote.time).total_seconds() > ttl:
        raise NoQuote(
            gettext("The last price of %(symbol)s is older than %(seconds)s seconds; try again when it moves.")
            % {"symbol": instrument.symbol, "seconds": ttl},
            fields={"instrument": [gettext("No fresh price.")]},
        )


def _check_tradable(
    instrument: Instrument, settings: GroupTradingSettings, moment: dt.datetime
) -> tuple[int, Decimal]:
    """(markup points, commission per lot) when the instrument trades in the group now; else a refusal."""
    enabled, markup, commission = selectors.instrument_terms(settings, instrument)
    if not (instrument.is_enabled and enabled):
        raise TradingNotAllowed(
            gettext("%(symbol)s is not available to this account.") % {"symbol": instrument.symbol},
            fields={"instrument": [gettext("Not available.")]},
        )
    if not selectors.is_session_open(instrument, moment):
        raise MarketClosed(
            gettext("The %(symbol)s market is closed now.") % {"symbol": instrument.symbol},
            fields={"instrument": [gettext("Market closed.")]},
        )
    downtime = selectors.active_downtime(instrument, moment)
    if downtime is not None:
        raise InDowntime(
            gettext("%(symbol)s is halted until %(end)s UTC (%(title)s).")
            % {"symbol": instrument.symbol, "end": f"{downtime.ends_at:%Y-%m-%d %H:%M}", "title": downtime.title},
            fields={"instrument": [gettext("In a downtime.")]},
        )
    return markup, commission


def _check_stops(side: str, price: Decimal, stop_loss: Decimal | None, take_profit: Decimal | None) -> None:
    """A buy's stop loss sits below its price and take profit above; a sell's the other way round."""
    errors: dict[str, list[str]] = {}
    below, above = (stop_loss, take_profit) if side == formulas.Side.BUY else (take_profit, stop_loss)
    if below is not None and below >= price:
        errors["stop_loss" if side == formulas.Side.BUY else "take_profit"] = [
            gettext("Must be below %(price)s.") % {"price": price}
        ]
    if above is not None and above <= price:
        errors["take_profit" if side == formulas.Side.BUY else "stop_loss"] = [
            gettext("Must be above %(price)s.") % {"price": price}
        ]
    if errors:
        raise InvalidPrice(gettext("Stop loss or take profit on the wrong side of the price."), fields=errors)


def _check_margin(account: Wallet, settings: GroupTradingSettings, new: Position, commission: Decimal) -> None:
    """Refuse when the account's equity, after the commission, does not cover the margin with the new position."""
    positions = [*selectors.open_positions(account), new]
    state = selectors.account_state(account, positions=positions, settings=settings)
    if state.equity - commission < state.margin:
        needed = state.margin - state.equity + commission
        code = account.currency_id
        raise NotEnoughMargin(
            gettext(
                "Not enough free margin: the order needs %(margin)s %(code)s of margin and costs %(commission)s "
                "%(code)s; equity is %(equity)s %(code)s (%(needed)s %(code)s short)."
            )
            % {
                "margin": f"{state.margin:.2f}",
                "commission": f"{commission:.2f}",
                "equity": f"{state.equity:.2f}",
                "needed": f"{needed:.2f}",
                "code": code,
            },
            fields={"lots": [gettext("Not enough free margin.")]},
        )


@transaction.atomic
def place_order(
    account: Wallet,
    *,
    instrument: Instrument,
    side: str,
    lots: Decimal,
    order_type: str = Order.Type.MARKET,
    price: Decimal | None = None,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
    expires_at: dt.datetime | None = None,
    actor: Any = None,
) -> Order:
    """Place an order: a market order fills at once (or is refused, nothing written); a limit or stop order waits.

    Buy limit below the ask, buy stop above it; sell limit above the bid, sell stop below it.
    """
    account = lock_account(account)
    _check_account(account)
    _check_volume(instrument, lots)
    settings = selectors.group_settings(account)
    now = timezone.now()
    markup, _commission_per_lot = _check_tradable(instrument, settings, now)
    quote = selectors.last_quote(instrument)
    time_in_force = Order.TimeInForce.GTD if expires_at else Order.TimeInForce.GTC
    order = Order(
        account=account,
        instrument=instrument,
        side=side,
        type=order_type,
        lots=lots,
        price=price,
        stop_loss=stop_loss,
        take_profit=take_profit,
        expires_at=expires_at,
        time_in_force=time_in_force,
        created_by=user_or_none(actor),
    )
    if order_type == Order.Type.MARKET:
        order.price = None
        check_quote_age(instrument, quote, now)
        fill_at = selectors.open_price_for(side, quote, instrument, markup)
        check_order_value(instrument, lots, fill_at)
        _check_stops(side, fill_at, stop_loss, take_profit)
        order.save()
        _fill(order, account=account, settings=settings, quote=quote, actor=actor, requested=price)
        return order
    if price is None or price <= 0:
        raise InvalidPrice(gettext("A limit or stop order needs a price."), fields={"price": [gettext("Required.")]})
    _check_pending_price(side, order_type, price, selectors.open_price_for(side, quote, instrument, markup))
    check_order_value(instrument, lots, price)
    _check_stops(side, price, stop_loss, take_profit)
    if expires_at is not None and expires_at <= now:
        raise InvalidPrice(
            gettext("The expiry is in the past."), fields={"expires_at": [gettext("Must be in the future.")]}
        )
    order.save()
    record_activity(actor=actor, action="trading.order_placed", target=order, data={"account": account.number})
    return order


def _check_pending_price(side: str, order_type: str, price: Decimal, market: Decimal) -> None:
    below = (side == formulas.Side.BUY) == (order_type == Order.Type.LIMIT)
    if below and price >= market:
        raise InvalidPrice(
            gettext("This order's price must be below the market (%(price)s).") % {"price": market},
            fields={"price": [gettext("Too high.")]},
        )
    if not below and price <= market:
        raise InvalidPrice(
            gettext("This order's price must be above the market (%(price)s).") % {"price": market},
            fields={"price": [gettext("Too low.")]},
        )


def _fill(
    order: Order,
    *,
    account: Wallet,
    settings: GroupTradingSettings,
    quote: Quote,
    actor: Any = None,
    requested: Decimal | None = None,
) -> Position | None:
    """Open the position of an order whose account is locked; raises a refusal before writing anything.

    A limit order fills at the quote; a market or stop order at the quote with slippage, refused beyond the price
    deviation from `requested` (a market order's price asked) or the stop price. A spot market's order opens no
    position: it moves the account's assets (services/spot.py).
    """
    instrument = order.instrument
    if instrument.market_type == Instrument.MarketType.SPOT:
        from crm.trading.services import spot  # spot builds on this module's checks

        spot.fill_spot_order(order, account=account, settings=settings, quote=quote, actor=actor, requested=requested)
        return None
    markup, commission_per_lot = _check_tradable(instrument, settings, timezone.now())
    fill_at = selectors.open_price_for(order.side, quote, instrument, markup)
    fill_at = fill_price(order, fill_at, requested=requested)
    now = timezone.now()
    position = Position(
        account=account,
        instrument=instrument,
        side=order.side,
        lots=order.lots,
        opened_lots=order.lots,
        open_price=fill_at,
        opened_at=now,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
    )
    commission = selectors.deal_commission(
        account, settings, instrument, lots=order.lots, price=fill_at, per_lot=commission_per_lot
    )
    _check_margin(account, settings, position, commission)
    position.commission = commission
    position.save()
    deal = Deal.objects.create(
        account=account,
        instrument=instrument,
        position=position,
        order=order,
        side=order.side,
        entry=Deal.Entry.IN,
        lots=order.lots,
        price=fill_at,
        commission=commission,
        created_at=now,
    )
    if commission:
        wallet_services.post_entry(
            idempotency_key=f"trading:deal:{deal.pk}:commission",
            postings=[
                (account, -commission),
                (wallet_services.system_account("fee_income", account.currency_id), commission),
            ],
            kind="TRADING_COMMISSION",
            description=f"Commission {instrument.symbol} {order.lots} lots, deal #{deal.pk}",
            locked={account.pk: account},
        )
    order.status = Order.Status.FILLED
    order.fill_price = fill_at
    order.filled_at = now
    order.position = position
    order.save(update_fields=["status", "fill_price", "filled_at", "position", "updated_at"])
    record_activity(actor=actor, action="trading.position_opened", target=position, data={"order": order.pk})
    emit("order.filled", order_id=order.pk, position_id=position.pk, customer_id=account.customer_id)
    emit("position.opened", **_position_payload(position))
    return position


def _position_payload(position: Position) -> dict[str, Any]:
    """The payload the affiliates engine consumes (crm/affiliates/services/actions.py)."""
    instrument = position.instrument
    quantum = position.account.currency.quantum
    return {
        "position_id": position.pk,
        "account_id": position.account_id,
        "customer_id": position.account.customer_id,
        "instrument": instrument.symbol,
        "instrument_group": instrument.category,
        "lots": _plain(position.opened_lots),
        "commission": str(position.commission.quantize(quantum)),
        "spread": "0",
        "currency": position.account.currency_id,
        "opened_at": position.opened_at.isoformat(),
        "closed_at": position.closed_at.isoformat() if position.closed_at else None,
    }


def _plain(value: Decimal) -> str:
    """A volume as text with two decimals at least and no trailing zeros beyond: 1.00, 0.125."""
    two = value.quantize(Decimal("0.01"))
    return str(two) if two == value else str(value.normalize())


@transaction.atomic
def fill_pending_order(order: Order) -> Order:
    """Fill a triggered limit/stop order at the current quote; an order no longer pending is left as it is.

    Not enough margin rejects the order (status `rejected` with the reason) instead of failing the tick; in a
    downtime the order stays pending.
    """
    account = lock_account(order.account)
    order = Order.objects.select_for_update().select_related("instrument").get(pk=order.pk)
    if order.status != Order.Status.PENDING:
        return order
    settings = selectors.group_settings(account)
    quote = selectors.last_quote(order.instrument)
    try:
        with transaction.atomic():
            _fill(order, account=account, settings=settings, quote=quote)
    except InDowntime:
        return order  # waits for the end of the downtime
    except (NotEnoughMargin, MarketClosed, TradingNotAllowed, InvalidPrice) as refusal:
        order.status = Order.Status.REJECTED
        order.reject_reason = refusal.message[:255]
        order.save(update_fields=["status", "reject_reason", "updated_at"])
    return order


@transaction.atomic
def cancel_order(order: Order, *, actor: Any = None, expired: bool = False) -> Order:
    """Cancel (or expire) a pending order; an order that is no longer pending is refused."""
    lock_account(order.account)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.PENDING:
        raise OrderNotPending(
            gettext("Order #%(id)s is %(status)s.") % {"id": order.pk, "status": order.status},
            fields={"status": [gettext("Not pending.")]},
        )
    order.status = Order.Status.EXPIRED if expired else Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    record_activity(actor=actor, action=f"trading.order_{order.status}", target=order)
    return order


@transaction.atomic
def modify_position(
    position: Position, *, stop_loss: Decimal | None, take_profit: Decimal | None, actor: Any = None
) -> Position:
    """Set a position's stop loss and take profit (None removes one), checked against the current close price."""
    account = lock_account(position.account)
    position = Position.objects.select_for_update().select_related("instrument").get(pk=position.pk)
    if position.adapter_id is not None:
        raise TradingNotAllowed(
            gettext("Position #%(id)s lives on an outside platform; change it there.") % {"id": position.pk},
            fields={"position": [gettext("On an outside platform.")]},
        )
    if position.status != Position.Status.OPEN:
        raise PositionClosed(
            gettext("Position #%(id)s is closed.") % {"id": position.pk}, fields={"status": [gettext("Closed.")]}
        )
    markup, _ = selectors.instrument_terms(selectors.group_settings(account), position.instrument)[1:]
    current = selectors.close_price_for(
        position.side, selectors.last_quote(position.instrument), position.instrument, markup
    )
    _check_stops(position.side, current, stop_loss, take_profit)
    position.stop_loss, position.take_profit = stop_loss, take_profit
    position.save(update_fields=["stop_loss", "take_profit", "updated_at"])
    record_activity(
        actor=actor, action="trading.position_modified", target=position, data={"sl": stop_loss, "tp": take_profit}
    )
    return position
