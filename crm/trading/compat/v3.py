"""001 "Front office v3": accounts, assets, markets, spot order data, orders, stop orders, margin levels, info.

v3 amounts (`requestedAmount`, `requestedBaseAmount`, `baseAmount`) are in the base asset: lots times the
market's lot size. Orders go through the same engine as v4. On a spot market (compat/spot.py) an order
exchanges assets: it opens no position, the account pays with the asset it holds, and `commission` is the fee
in the quote asset; on a CFD or perpetual market it opens a position as in v4.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import portal_customer
from crm.trading import selectors, services
from crm.trading.compat import enums, presenters, pretrade, spot
from crm.trading.compat import serializers as s
from crm.trading.compat.common import (
    TRADING_TYPES,
    account_header,
    market,
    optional_account,
    text,
    trader_view,
    trading_account,
    valid,
)
from crm.trading.compat.placing import place
from crm.trading.compat.v4 import _pk, order_rows
from crm.trading.models import GroupTradingSettings, Instrument, Order, SpotHolding
from crm.wallets.exceptions import NoExchangeRate
from crm.wallets.models import Currency, Wallet

EIGHT = Decimal("0.00000001")


def _accounts(request: Request) -> list[Wallet]:
    return list(
        Wallet.objects.filter(customer=portal_customer(request), type__in=TRADING_TYPES, is_enabled=True)
        .select_related("currency")
        .order_by("pk")
    )


def _total_balances(accounts: list[Wallet]) -> dict[int, Decimal]:
    """Each account's balance plus its spot holdings at the bid in its currency (what selling them would bring)."""
    totals = {account.pk: account.balance for account in accounts}
    holdings = SpotHolding.objects.filter(account__in=accounts, wallet__balance__gt=0).select_related("wallet")
    rates: selectors.Rates | None = None
    currency = {account.pk: account.currency_id for account in accounts}
    for holding in holdings:
        rates = rates or selectors.Rates.load()
        try:
            rate = rates.rate(holding.currency_id, currency[holding.account_id], use="bid")
        except NoExchangeRate:
            continue  # an asset without a price counts for nothing rather than failing the list
        totals[holding.account_id] += holding.wallet.balance * rate
    return totals


@trader_view(
    ["GET"],
    summary="Trading accounts",
    description="The caller's trading accounts; `totalBalanceInRAT` is the balance in the account's currency plus "
    "the assets it holds from spot trading at the bid, in the account's currency (decimals of the currency).",
    responses=s.Account(many=True),
    account=False,
)
def accounts(request: Request) -> Response:
    rows = _accounts(request)
    totals = _total_balances(rows)
    return Response(
        [
            {
                "accountId": wallet.number,
                "accountName": wallet.caption or wallet.number,
                "accountType": enums.AccountType.HEDGING,
                "totalBalanceInRAT": text(totals[wallet.pk].quantize(wallet.currency.quantum, ROUND_HALF_EVEN)),
            }
            for wallet in rows
        ]
    )


@trader_view(
    ["GET"],
    summary="Assets",
    description="Enabled currencies; `isRootAsset` marks the currencies of the caller's trading accounts.",
    responses=s.TraderAsset(many=True),
    account=False,
)
def assets(request: Request) -> Response:
    roots = {wallet.currency_id for wallet in _accounts(request)}
    rows = Currency.objects.filter(is_enabled=True).order_by("code")
    return Response([{"assetId": c.code, "assetName": c.name, "isRootAsset": c.code in roots} for c in rows])


@trader_view(["GET"], summary="Markets (short)", responses=s.MarketV3Short(many=True), account=False)
def markets(request: Request) -> Response:
    rows = Instrument.objects.enabled().order_by("sort_order", "symbol").values_list("symbol", flat=True)
    return Response([{"marketId": symbol, "displayName": symbol} for symbol in rows])


@trader_view(
    ["GET"],
    summary="Market (spot terms)",
    responses=s.MarketV3,
    parameters=[OpenApiParameter("marketId", str, OpenApiParameter.PATH)],
    account=False,
)
def market_detail(request: Request, marketId: str) -> Response:
    item = market(marketId)
    return Response(
        {
            "marketId": item.symbol,
            "displayName": item.symbol,
            "baseAssetId": item.margin_currency,
            "quoteAssetId": item.profit_currency,
            "minAmount": text(item.min_lot * item.contract_size),
            "priceDeviation": text(item.price_deviation),
            "priceScale": item.digits,
            "amountScale": item.amount_scale,
            "status": "Active",
            "side": "Both",
            "isHidden": False,
        }
    )


@trader_view(
    ["POST"],
    summary="Spot order data",
    description="Base and quote amounts of an order given by either amount; `commissionAmount` in the quote "
    "asset, `total` the quote amount plus (buy) or minus (sell) the commission. On a spot market a quote amount "
    "buys or sells the most base the lot grid allows, a buy's quote amount is rounded up and a sell's down, and "
    "the fee is the group's spot fee (commission profile rule or commission per lot).",
    request=s.SpotOrderDataRequest,
    responses=s.SpotOrderDataResponse,
)
def order_data(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.SpotOrderDataRequest, request.data)["order"]
    instrument = market(values["marketId"])
    base, quote_amount = values.get("requestedBaseAmount"), values.get("requestedQuoteAmount")
    if (base is None) == (quote_amount is None):
        raise exceptions.ValidationError(
            {"order.requestedBaseAmount": [_("Give either requestedBaseAmount or requestedQuoteAmount.")]}
        )
    if services.is_spot(instrument):
        return Response({"order": spot.order_data(account, instrument, values)})
    side = enums.SIDES[values["side"]]
    requested = None if values["orderType"] == enums.OrderType.MARKET else values.get("requestedPrice")
    price = pretrade.entry_price(account, instrument, side=side, requested=requested)
    if base is None:
        base = (quote_amount or Decimal(0)) / price
    if base <= 0:
        raise exceptions.ValidationError({"order.requestedBaseAmount": [_("Must be above zero.")]})
    quote_value = base * price
    per_lot = selectors.instrument_terms(selectors.group_settings(account), instrument)[2]
    rate = selectors.Rates.load().rate(account.currency_id, instrument.profit_currency)
    commission = base / instrument.contract_size * per_lot * rate
    total = quote_value + commission if side == "buy" else quote_value - commission
    return Response(
        {
            "order": {
                "baseAmount": text(base.quantize(EIGHT, ROUND_HALF_EVEN)),
                "quoteAmount": text(quote_value.quantize(EIGHT, ROUND_HALF_EVEN)),
                "commissionAmount": text(commission.quantize(EIGHT, ROUND_HALF_EVEN)),
                "total": text(total.quantize(EIGHT, ROUND_HALF_EVEN)),
            }
        }
    )


def _lots(instrument: Instrument, amount: Decimal) -> Decimal:
    lots = amount / instrument.contract_size
    if lots != lots.quantize(EIGHT):
        raise exceptions.ValidationError({"order.requestedAmount": [_("Not a whole number of lot steps.")]})
    return lots


def _order(account: Wallet, order_id: str) -> Order:
    order = presenters.orders_of(account).filter(pk=_pk(order_id, "orderId")).first()
    if order is None:
        raise exceptions.NotFound(_("There is no such order."))
    return order


ORDER_ID = [OpenApiParameter("orderId", str, OpenApiParameter.PATH)]


@trader_view(
    ["POST"],
    summary="Place an order",
    description="`requestedAmount` in the base asset. Market orders fill at once or are refused (400); "
    "Limit and Stop orders wait (Gtc, or Gtd till `cancellationDate`).",
    request=s.SpotOrderRequest,
    responses=s.OrderV3Response,
)
def orders(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.SpotOrderRequest, request.data)["order"]
    instrument = market(values["marketId"])
    order = place(account, instrument, values, lots=_lots(instrument, values["requestedAmount"]), actor=request.user)
    return Response({"order": presenters.order_v3(_order(account, str(order.pk)))})


@trader_view(["GET", "DELETE"], summary="Get or cancel an order",
             description="GET answers the order; DELETE cancels a waiting order and answers it (a filled or "
             "closed one is a 409).", responses=s.OrderV3Response, parameters=ORDER_ID)  # fmt: skip
def order_detail(request: Request, orderId: str) -> Response:
    account = trading_account(request)
    order = _order(account, orderId)
    if request.method == "DELETE":
        services.cancel_order(order, actor=request.user)
        order = _order(account, orderId)
    return Response({"order": presenters.order_v3(order)})


@trader_view(
    ["POST"],
    summary="List orders",
    description="Newest first; the next page starts after `lastOrderId`.",
    request=s.OrderListRequest,
    responses=s.OrderV3List,
)
def order_list(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.OrderListRequest, request.data)
    return Response({"data": [presenters.order_v3(order) for order in order_rows(account, values)]})


@trader_view(
    ["POST"],
    summary="Place a stop order",
    description="A market order once `activationPrice` is reached (`orderType` Market or Stop); "
    "WaitingForActivation until then.",
    request=s.SpotStopOrderRequest,
    responses=s.StopOrderV3Response,
)
def stop_orders(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.SpotStopOrderRequest, request.data)["order"]
    instrument = market(values["marketId"])
    lots = _lots(instrument, values["requestedAmount"])
    order = place(account, instrument, values, lots=lots, activation=values["activationPrice"], actor=request.user)
    return Response({"order": presenters.stop_order_v3(_order(account, str(order.pk)))})


@trader_view(
    ["DELETE"],
    summary="Cancel a stop order",
    responses=s.StopOrderV3Response,
    parameters=[OpenApiParameter("stopOrderId", str, OpenApiParameter.PATH)],
)
def stop_order_detail(request: Request, stopOrderId: str) -> Response:
    account = trading_account(request)
    order = _order(account, stopOrderId)
    if order.type != Order.Type.STOP:
        raise exceptions.NotFound(_("There is no such stop order."))
    services.cancel_order(order, actor=request.user)
    return Response({"order": presenters.stop_order_v3(_order(account, stopOrderId))})


@trader_view(
    ["GET"],
    summary="Margin call and stop-out levels",
    description="In percent of margin; the account's group's levels with the `accountId` header, else the defaults.",
    responses=s.MarginLevels,
    account=False,
    parameters=[account_header(required=False)],
)
def margin_levels(request: Request) -> Response:
    account = optional_account(request)
    levels = selectors.group_settings(account) if account else GroupTradingSettings()
    return Response({"marginCallLevel": text(levels.margin_call_level), "stopOutLevel": text(levels.stop_out_level)})


@trader_view(["GET"], summary="Server time", responses=s.ServerInfo, account=False)
def info(request: Request) -> Response:
    return Response({"serverTime": timezone.now().isoformat(), "serverTimeZone": settings.TIME_ZONE})
