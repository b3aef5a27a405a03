"""Pre-trade figures of the 001 order-data and trigger-data endpoints (reads: nothing is written).

Margin, commission and profit come from `crm.trading.formulas` through the engine's selectors, in the trading
account's currency ("RAT"). A take profit or stop loss is given as a price, points, percent of the entry
price, or money (`Pnl`, in the account currency); each answer gives its price, its distance as `rate`
(percent of the entry) and `points`, and the profit or loss it would realise (`pnl`).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions

from crm.trading import formulas, selectors
from crm.trading.compat import enums
from crm.trading.compat.common import text
from crm.trading.models import Instrument, Position
from crm.wallets.models import Wallet

ONE = Decimal(1)
HUNDRED = Decimal(100)


def _profit(instrument: Instrument, *, side: str, lots: Decimal, entry: Decimal, close: Decimal) -> Decimal:
    return formulas.profit(
        formulas.CalcMode(instrument.profit_calc_mode),
        side=formulas.Side(side),
        lots=lots,
        contract_size=instrument.contract_size,
        open_price=entry,
        close_price=close,
        tick_price=instrument.tick_value,
        tick_size=instrument.tick_size,
    )


def trigger(
    account: Wallet,
    instrument: Instrument,
    *,
    side: str,
    lots: Decimal,
    entry: Decimal,
    take_profit: bool,
    trigger_type: str,
    size: Decimal,
    rates: selectors.Rates,
    field: str,
) -> dict[str, Any]:
    """Price, rate, points and pnl of a take profit (`take_profit`) or stop loss for a trade at `entry`."""
    sign = ONE if (side == formulas.Side.BUY) == take_profit else -ONE
    rate_to_account = rates.rate(instrument.profit_currency, account.currency_id)
    if trigger_type == enums.TriggerType.PRICE:
        price = size
    elif trigger_type == enums.TriggerType.POINTS:
        price = entry + sign * size * instrument.point
    elif trigger_type == enums.TriggerType.PERCENT:
        price = entry * (ONE + sign * size / HUNDRED)
    else:
        per_unit = abs(_profit(instrument, side=side, lots=lots, entry=entry, close=entry + ONE)) * rate_to_account
        if per_unit == 0:
            raise exceptions.ValidationError({field: [_("This volume makes no profit or loss per price unit.")]})
        price = entry + sign * abs(size) / per_unit
    price = price.quantize(instrument.point, ROUND_HALF_EVEN)
    if price <= 0:
        raise exceptions.ValidationError({field: [_("This trigger gives a price at or below zero.")]})
    pnl = _profit(instrument, side=side, lots=lots, entry=entry, close=price) * rate_to_account
    distance = abs(price - entry)
    return {
        "price": text(price),
        "rate": text((distance / entry * HUNDRED).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)),
        "points": int((distance / instrument.point).to_integral_value(ROUND_HALF_EVEN)),
        "pnl": text(pnl.quantize(account.currency.quantum, ROUND_HALF_EVEN)),
    }


def entry_price(account: Wallet, instrument: Instrument, *, side: str, requested: Decimal | None) -> Decimal:
    """The requested price, or where a market order would fill now (ask/bid with the group's markup)."""
    if requested is not None:
        if requested <= 0:
            raise exceptions.ValidationError({"order.requestedPrice": [_("Must be above zero.")]})
        return requested
    settings = selectors.group_settings(account)
    markup = selectors.instrument_terms(settings, instrument)[1]
    return selectors.open_price_for(side, selectors.last_quote(instrument), instrument, markup)


def order_data(account: Wallet, instrument: Instrument, values: dict[str, Any]) -> dict[str, Any]:
    """Margin, commission and margin level of a CFD or perpetual order before it is placed, with its TP/SL."""
    side = enums.SIDES[values["side"]]
    lots: Decimal = values["requestedLotAmount"]
    if lots <= 0:
        raise exceptions.ValidationError({"order.requestedLotAmount": [_("Must be above zero.")]})
    check_leverage(account, instrument, values.get("leverage"), field="order.leverage")
    price = entry_price(
        account, instrument, side=side, requested=None if values["orderType"] == "Market" else values["requestedPrice"]
    )
    settings = selectors.group_settings(account)
    commission_per_lot = selectors.instrument_terms(settings, instrument)[2]
    rates = selectors.Rates.load()
    new = Position(account=account, instrument=instrument, side=side, lots=lots, opened_lots=lots, open_price=price)
    margin = selectors.position_margin(
        new, leverage=selectors.leverage_of(account, instrument), rates=rates, currency=account.currency_id
    )
    state = selectors.account_state(
        account, positions=[*selectors.open_positions(account), new], settings=settings, rates=rates
    )
    quantum = account.currency.quantum
    level = state.margin_level
    result: dict[str, Any] = {
        "requiredMarginInRAT": text(margin.quantize(quantum, ROUND_HALF_EVEN)),
        "quoteAmount": text((lots * instrument.contract_size * price).quantize(instrument.point, ROUND_HALF_EVEN)),
        "commissionAmountInRAT": text((lots * commission_per_lot).quantize(quantum, ROUND_HALF_EVEN)),
        "marginLevel": text(level.quantize(Decimal("0.01"), ROUND_HALF_EVEN)) if level is not None else None,
        "takeProfit": None,
        "stopLoss": None,
    }
    for key, is_tp in (("takeProfit", True), ("stopLoss", False)):
        given = values.get(key)
        if given:
            result[key] = trigger(
                account,
                instrument,
                side=side,
                lots=lots,
                entry=price,
                take_profit=is_tp,
                trigger_type=given["triggerType"],
                size=given["triggerSize"],
                rates=rates,
                field=f"order.{key}",
            )
    return result


def check_leverage(account: Wallet, instrument: Instrument, leverage: int | None, *, field: str) -> None:
    """Leverage is the account's (capped by the market's): a request may repeat it, not change it."""
    effective = int(selectors.leverage_of(account, instrument))
    if leverage is not None and leverage != effective:
        raise exceptions.ValidationError(
            {field: [_("The leverage of this account on this market is %(leverage)s.") % {"leverage": effective}]}
        )


def close_calculation(position: Position, *, lots: Decimal | None, percent: Decimal | None) -> dict[str, Any]:
    """A close size as lots and as percent of the open volume; a percent is rounded down to the lot step."""
    if (lots is None) == (percent is None):
        raise exceptions.ValidationError(
            {"closePositionLotAmount": [_("Give either closePositionLotAmount or closePositionLotAmountInPercent.")]}
        )
    step = position.instrument.lot_step
    if lots is None:
        steps = position.lots * (percent or Decimal(0)) / HUNDRED / step
        lots = steps.to_integral_value(rounding=ROUND_DOWN) * step
    if lots <= 0 or lots > position.lots:
        raise exceptions.ValidationError({"closePositionLotAmount": [_("Out of the position's volume.")]})
    share = (lots / position.lots * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return {"closePositionLotAmount": text(lots), "closePositionLotAmountInPercent": text(share)}
