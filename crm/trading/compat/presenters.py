"""Engine rows as the seed's bodies (dicts the views answer), and the querysets behind the lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Max, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from crm.trading import selectors
from crm.trading.compat import enums
from crm.trading.compat.common import text
from crm.trading.models import Deal, Instrument, Order, Position
from crm.wallets.models import Wallet

ZERO = Decimal(0)


def orders_of(account: Wallet) -> QuerySet[Order]:
    """The account's orders with what a row shows (market, author, commission), newest first: one query."""
    money = DecimalField(max_digits=20, decimal_places=8)
    return (
        Order.objects.filter(account=account)
        .select_related("instrument", "created_by")
        .annotate(
            # a CFD order's commission is on its deals; a spot order's fee (quote asset) on its fill
            commission_total=Coalesce(Sum("deals__commission"), Value(ZERO), output_field=money)
            + Coalesce(Max("spot_fill__fee"), Value(ZERO), output_field=money),
            fee_asset=Max("spot_fill__quote_currency"),
        )
        .order_by("-pk")
    )


def _time_in_force(order: Order) -> str:
    return enums.TimeInForce.GTD if order.time_in_force == Order.TimeInForce.GTD else enums.TimeInForce.GTC


def _remaining(order: Order) -> Decimal:
    return ZERO if order.status == Order.Status.FILLED else order.lots


def order_v4(order: Order, account: Wallet) -> dict[str, Any]:
    instrument = order.instrument
    dealer = enums.is_dealer_order(order)
    return {
        "marketId": instrument.symbol,
        "marketType": enums.MARKET_TYPE_OF[Instrument.MarketType(instrument.market_type)],
        "marketDisplayName": instrument.symbol,
        "marketFullName": instrument.description or instrument.symbol,
        "orderId": str(order.pk),
        "timeInForce": _time_in_force(order),
        "status": enums.order_status(order),
        "source": enums.OrderSource.DEALER if dealer else enums.OrderSource.MANUAL,
        "reason": enums.Reason.DEALER if dealer else enums.Reason.TRADER,
        "side": enums.SIDE_OF[order.side],
        "orderType": enums.ORDER_TYPE_OF[Order.Type(order.type)],
        "requestedAmount": text(order.lots),
        "remainingAmount": text(_remaining(order)),
        "requestedPrice": text(order.price),
        "executionPrice": text(order.fill_price),
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
        "cancellationDate": order.expires_at,
        "commissionAssetId": getattr(order, "fee_asset", None) or account.currency_id,
        "commissionAmount": text(getattr(order, "commission_total", ZERO)),
        "leverage": int(selectors.leverage_of(account, instrument)),
        "rejectDetails": order.reject_reason or None,
        "fillFactor": "1" if order.status == Order.Status.FILLED else "0",
    }


def order_v3(order: Order) -> dict[str, Any]:
    instrument = order.instrument
    size = instrument.contract_size
    return {
        "marketId": instrument.symbol,
        "marketDisplayName": instrument.symbol,
        "orderId": str(order.pk),
        "orderType": enums.ORDER_TYPE_OF[Order.Type(order.type)],
        "side": enums.SIDE_OF[order.side],
        "status": enums.order_status(order),
        "source": enums.OrderSource.DEALER if enums.is_dealer_order(order) else enums.OrderSource.MANUAL,
        "timeInForce": _time_in_force(order),
        "commission": text(getattr(order, "commission_total", ZERO)),
        "requestedAmount": text(order.lots * size),
        "remainingAmount": text(_remaining(order) * size),
        "requestedPrice": text(order.price),
        "executionPrice": text(order.fill_price),
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
        "rejectDetails": order.reject_reason or None,
        "cancellationDate": order.expires_at,
        "fillFactor": "1" if order.status == Order.Status.FILLED else "0",
    }


def stop_order_v3(order: Order) -> dict[str, Any]:
    instrument = order.instrument
    return {
        "marketId": instrument.symbol,
        "marketDisplayName": instrument.symbol,
        "orderId": str(order.pk),
        "orderType": enums.ORDER_TYPE_OF[Order.Type(order.type)],
        "side": enums.SIDE_OF[order.side],
        "requestedPrice": None,
        "activationPrice": text(order.price),
        "requestedAmount": text(order.lots * instrument.contract_size),
        "timeInForce": _time_in_force(order),
        "status": enums.order_status(order),
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
        "cancellationDate": order.expires_at,
    }


def deals_of(account: Wallet) -> QuerySet[Deal]:
    """The account's executions on this platform (deals synced from an outside one are that platform's to serve)."""
    return (
        Deal.objects.builtin()
        .filter(account=account)
        .select_related("instrument", "position", "order", "order__created_by")
        .order_by("-pk")
    )


def _deal_reason(deal: Deal) -> str:
    if deal.entry == Deal.Entry.IN:
        return enums.Reason.DEALER if deal.order and enums.is_dealer_order(deal.order) else enums.Reason.TRADER
    reason = deal.position.close_reason
    return enums.CLOSE_REASON_OF[Position.CloseReason(reason)] if reason else enums.Reason.TRADER


def execution(deal: Deal, account: Wallet, *, with_pnl: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "positionId": str(deal.position_id),
        "orderId": str(deal.order_id) if deal.order_id else None,
        "side": enums.SIDE_OF[deal.side],
        "reason": _deal_reason(deal),
        "createdAt": deal.created_at,
        "executionId": str(deal.pk),
        "baseAmount": text(deal.lots * deal.instrument.contract_size),
        "executionPrice": text(deal.price),
        "commissionAmountInRAT": text(deal.commission),
        "commissions": [{"assetId": account.currency_id, "amount": text(deal.commission)}] if deal.commission else [],
    }
    if with_pnl:
        row["realizedPnlInRAT"] = text(deal.profit)
    return row


def closed_position(deal: Deal, account: Wallet, rates: selectors.Rates) -> dict[str, Any]:
    """One close (full or partial) of a position: its out deal. `orderId` is the close's execution id."""
    instrument, position = deal.instrument, deal.position
    rate = rates.rate(instrument.profit_currency, account.currency_id)
    return {
        "marketId": instrument.symbol,
        "marketFullName": instrument.description or instrument.symbol,
        "marketDisplayName": instrument.symbol,
        "marketType": enums.MARKET_TYPE_OF[Instrument.MarketType(instrument.market_type)],
        "orderId": str(deal.pk),
        "orderType": enums.OrderType.MARKET,
        "timeInForce": enums.TimeInForce.IOC,
        "side": enums.SIDE_OF[deal.side],
        "positionCloseLotAmount": text(deal.lots),
        "reason": _deal_reason(deal),
        "realizedPnlInRAT": text(deal.profit),
        "closedAt": deal.created_at,
        "positionId": str(position.pk),
        "openPrice": text(position.open_price),
        "closePrice": text(deal.price),
        "positionPriceInRAT": text(
            (deal.lots * instrument.contract_size * deal.price * rate).quantize(account.currency.quantum)
        ),
        "rateToRAT": text(rate.quantize(Decimal("0.00000001"))),
        "openedAt": position.opened_at,
    }
