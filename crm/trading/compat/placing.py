"""Orders of the 001 API placed through the engine's execution services (same checks as every other caller)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions

from crm.trading import services
from crm.trading.compat import enums
from crm.trading.compat.pretrade import check_leverage
from crm.trading.compat.spot import ORDER_FIELDS
from crm.trading.compat.spot import seed_fields as spot_fields
from crm.trading.models import Instrument, Order
from crm.wallets.models import Wallet


def place(
    account: Wallet,
    instrument: Instrument,
    values: dict[str, Any],
    *,
    lots: Decimal,
    actor: Any,
    activation: Decimal | None = None,
) -> Order:
    """Place an order (or, with `activation`, a stop order) from a 001 body; refusals are 400 with field errors.

    Market orders fill at once (`Ioc`/`Fok`/`Gtc` alike: the engine fills all or refuses); limit and stop
    orders wait, good till cancelled or, with `cancellationDate`, till that date (`Gtd`). A stop order's
    `orderType` is `Market` or `Stop` (a market order once `activationPrice` is reached).
    """
    order_type = values["orderType"]
    tif = values.get("timeInForce") or enums.TimeInForce.GTC
    expires: dt.datetime | None = values.get("cancellationDate")
    errors: dict[str, list[str]] = {}
    price: Decimal | None
    if lots <= 0:
        errors["order.requestedLotAmount"] = [_("Must be above zero.")]
    if activation is not None:
        if order_type == enums.OrderType.LIMIT:
            errors["order.orderType"] = [_("Stop orders are Market or Stop; stop-limit orders are not offered.")]
        order_type, price = enums.OrderType.STOP, activation
    else:
        price = values.get("requestedPrice")
    if order_type == enums.OrderType.MARKET:
        if expires is not None or tif == enums.TimeInForce.GTD:
            errors["order.timeInForce"] = [_("A market order fills at once; it takes no cancellation date.")]
        price = None
    else:
        if tif in (enums.TimeInForce.IOC, enums.TimeInForce.FOK):
            errors["order.timeInForce"] = [_("Limit and stop orders are Gtc or Gtd.")]
        if tif == enums.TimeInForce.GTD and expires is None:
            errors["order.cancellationDate"] = [_("A Gtd order needs a cancellation date.")]
        if tif == enums.TimeInForce.GTC and expires is not None:
            errors["order.timeInForce"] = [_("An order with a cancellation date is Gtd.")]
        if price is None:
            errors["order.requestedPrice"] = [_("A limit or stop order needs a price.")]
    if (values.get("stopLoss") or {}).get("isTrailing"):
        errors["order.stopLoss.isTrailing"] = [_("Trailing stops are not offered.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return _submit(account, instrument, values, lots=lots, order_type=order_type, price=price, actor=actor)


def _submit(
    account: Wallet,
    instrument: Instrument,
    values: dict[str, Any],
    *,
    lots: Decimal,
    order_type: enums.OrderType,
    price: Decimal | None,
    actor: Any,
) -> Order:
    if services.is_spot(instrument):
        return _place_spot(account, instrument, values, lots=lots, order_type=order_type, price=price, actor=actor)
    check_leverage(account, instrument, values.get("leverage"), field="order.leverage")
    return services.place_order(
        account,
        instrument=instrument,
        side=enums.SIDES[values["side"]],
        lots=lots,
        order_type=enums.ORDER_TYPES[order_type],
        price=price,
        stop_loss=(values.get("stopLoss") or {}).get("price"),
        take_profit=(values.get("takeProfit") or {}).get("price"),
        expires_at=values.get("cancellationDate"),
        actor=actor,
    )


def _place_spot(
    account: Wallet,
    instrument: Instrument,
    values: dict[str, Any],
    *,
    lots: Decimal,
    order_type: enums.OrderType,
    price: Decimal | None,
    actor: Any,
) -> Order:
    """A spot market's order: base amount = lots x lot size, no stop loss or take profit (compat/spot.py)."""
    if values.get("stopLoss") or values.get("takeProfit"):
        raise exceptions.ValidationError({"order.stopLoss": [_("Spot orders take no stop loss or take profit.")]})
    with spot_fields(ORDER_FIELDS):
        return services.place_spot_order(
            account,
            instrument=instrument,
            side=enums.SIDES[values["side"]],
            base_amount=lots * instrument.contract_size,
            order_type=enums.ORDER_TYPES[order_type],
            price=price,
            expires_at=values.get("cancellationDate"),
            actor=actor,
        )
