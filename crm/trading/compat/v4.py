"""001 "Trading — front office v4": margin assets, CFD/perpetual orders, markets, orders, positions, executions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from crm.trading import selectors, services
from crm.trading.compat import enums, presenters, pretrade
from crm.trading.compat import serializers as s
from crm.trading.compat.common import market, text, trader_view, trading_account, valid
from crm.trading.compat.placing import place
from crm.trading.models import Deal, Instrument, Order, Position, SwapMode
from crm.wallets.models import Wallet

KIND = {"cfd": Instrument.MarketType.CFD, "perpetual": Instrument.MarketType.PERPETUAL}
ASSET = OpenApiParameter("assetId", str, OpenApiParameter.PATH, description="A currency code.")


def _id(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    if not str(value).isdigit() or len(str(value)) > 18:
        raise exceptions.ValidationError({field: [_("Not a valid id.")]})
    return int(str(value))


def _pk(value: str, field: str) -> int:
    """A path id as a row id (0, which no row has, for none)."""
    return _id(value, field) or 0


def _ids(values: list[str], field: str) -> list[int]:
    return [number for value in values if (number := _id(value, field)) is not None]


# Margin assets -------------------------------------------------------------------------------------------


def _margin_assets(account: Wallet) -> list[dict[str, Any]]:
    state = selectors.account_state(account)
    return [
        {
            "assetId": account.currency_id,
            "assetName": account.currency.name,
            "available": text(state.free_margin.quantize(account.currency.quantum)),
            "total": text(state.equity.quantize(account.currency.quantum)),
            "marginRatio": "1",
            "isSelected": True,
        }
    ]


@trader_view(
    ["GET"],
    summary="Margin assets",
    description="The assets that serve as the account's margin: its currency, always selected.",
    responses=s.MarginAssetsResponse,
)
def margin_assets(request: Request) -> Response:
    return Response({"assets": _margin_assets(trading_account(request))})


@trader_view(
    ["POST", "DELETE"],
    summary="Select or deselect a margin asset",
    description="The account's currency is its only margin asset: selecting it again answers `{}`, "
    "deselecting it is a 400; another asset is a 404.",
    request=None,
    responses=s.Empty,
    parameters=[ASSET],
)
def margin_asset(request: Request, assetId: str) -> Response:
    account = trading_account(request)
    if assetId != account.currency_id:
        raise exceptions.NotFound(_("This asset cannot serve as this account's margin."))
    if request.method == "DELETE":
        raise exceptions.ValidationError({"assetId": [_("The account's currency is always its margin asset.")]})
    return Response({})


# Orders --------------------------------------------------------------------------------------------------


def _order_data(request: Request, kind: str) -> Response:
    account = trading_account(request)
    values = valid(s.OrderDataRequest, request.data)["order"]
    instrument = market(values["marketId"], market_type=KIND[kind])
    return Response({"order": pretrade.order_data(account, instrument, values)})


def _place(request: Request, kind: str, *, stop: bool) -> Response:
    account = trading_account(request)
    values = valid(s.PlaceStopOrderRequest if stop else s.PlaceOrderRequest, request.data)["order"]
    instrument = market(values["marketId"], market_type=KIND[kind])
    order = place(
        account,
        instrument,
        values,
        lots=values["requestedLotAmount"],
        activation=values.get("activationPrice") if stop else None,
        actor=request.user,
    )
    return Response({"order": {"orderId": str(order.pk), "status": enums.order_status(order)}})


ORDER_DATA = (
    "Margin (`requiredMarginInRAT`), commission and the margin level after the trade, in the account currency; "
    "`takeProfit`/`stopLoss` given as `triggerType` (Price, Points, Percent, Pnl) and `triggerSize` come back "
    "as price, rate (percent of the entry), points and pnl. Leverage is the account's; a different one is a 400."
)
PLACE = (
    "Places the order through the engine: `Market` fills at once (or is refused with a 400 and nothing "
    "written), `Limit` and `Stop` wait at `requestedPrice`, `Gtc`, or `Gtd` till `cancellationDate`. "
    "Answers the order's id and status (Filled, Started for a limit, WaitingForActivation for a stop)."
)
STOP = (
    "A stop order: a market order once `activationPrice` is reached (`orderType` Market or Stop), shown "
    "as WaitingForActivation until then."
)


@trader_view(["POST"], summary="CFD order data", description=ORDER_DATA, request=s.OrderDataRequest,
             responses=s.OrderDataResponse)  # fmt: skip
def cfd_order_data(request: Request) -> Response:
    return _order_data(request, "cfd")


@trader_view(["POST"], summary="Perpetual order data", description=ORDER_DATA, request=s.OrderDataRequest,
             responses=s.OrderDataResponse)  # fmt: skip
def perpetual_order_data(request: Request) -> Response:
    return _order_data(request, "perpetual")


@trader_view(["POST"], summary="Place a CFD order", description=PLACE, request=s.PlaceOrderRequest,
             responses=s.OrderAcceptedResponse)  # fmt: skip
def cfd_orders(request: Request) -> Response:
    return _place(request, "cfd", stop=False)


@trader_view(["POST"], summary="Place a perpetual order", description=PLACE, request=s.PlaceOrderRequest,
             responses=s.OrderAcceptedResponse)  # fmt: skip
def perpetual_orders(request: Request) -> Response:
    return _place(request, "perpetual", stop=False)


@trader_view(["POST"], summary="Place a CFD stop order", description=STOP, request=s.PlaceStopOrderRequest,
             responses=s.OrderAcceptedResponse)  # fmt: skip
def cfd_stop_orders(request: Request) -> Response:
    return _place(request, "cfd", stop=True)


@trader_view(["POST"], summary="Place a perpetual stop order", description=STOP, request=s.PlaceStopOrderRequest,
             responses=s.OrderAcceptedResponse)  # fmt: skip
def perpetual_stop_orders(request: Request) -> Response:
    return _place(request, "perpetual", stop=True)


@trader_view(
    ["GET"],
    summary="Get an order",
    parameters=[OpenApiParameter("orderId", str, OpenApiParameter.PATH)],
    responses=s.OrderV4Response,
)
def order_detail(request: Request, orderId: str) -> Response:
    account = trading_account(request)
    order = presenters.orders_of(account).filter(pk=_pk(orderId, "orderId")).first()
    if order is None:
        raise exceptions.NotFound(_("There is no such order."))
    return Response({"order": presenters.order_v4(order, account)})


def order_rows(account: Wallet, values: dict[str, Any]) -> list[Order]:
    """The account's orders newest first, after `lastOrderId` (keyset), by creation time and status."""
    rows = presenters.orders_of(account)
    last = _id(values.get("lastOrderId"), "lastOrderId")
    if last is not None:
        rows = rows.filter(pk__lt=last)
    if values.get("createdAtFrom"):
        rows = rows.filter(created_at__gte=values["createdAtFrom"])
    if values.get("createdAtTo"):
        rows = rows.filter(created_at__lte=values["createdAtTo"])
    if values.get("orderStatus"):
        rows = rows.filter(enums.status_filter(values["orderStatus"]))
    return list(rows[: values["limit"]])


@trader_view(
    ["POST"],
    summary="List orders",
    description="The account's orders, newest first; the next page starts after `lastOrderId` (the last "
    "`orderId` of the previous page).",
    request=s.OrderListRequest,
    responses=s.OrderV4List,
)
def order_list(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.OrderListRequest, request.data)
    return Response({"data": [presenters.order_v4(order, account) for order in order_rows(account, values)]})


@trader_view(
    ["POST"],
    summary="Closed positions",
    description="Each close of a position (full or partial), newest first; `orderId` is the close's execution "
    "id and the next page starts after `lastOrderId`. `isExceeded`: more rows follow.",
    request=s.ClosedPositionsRequest,
    responses=s.ClosedPositionsResponse,
)
def closed_positions(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.ClosedPositionsRequest, request.data)
    rows = presenters.deals_of(account).filter(entry=Deal.Entry.OUT)
    last = _id(values.get("lastOrderId"), "lastOrderId")
    if last is not None:
        rows = rows.filter(pk__lt=last)
    if values.get("createdAtFrom"):
        rows = rows.filter(created_at__gte=values["createdAtFrom"])
    if values.get("createdAtTo"):
        rows = rows.filter(created_at__lte=values["createdAtTo"])
    found = list(rows[: values["limit"] + 1])
    rates = selectors.Rates.load()
    data = [presenters.closed_position(deal, account, rates) for deal in found[: values["limit"]]]
    return Response({"data": data, "isExceeded": len(found) > values["limit"]})


def _executions(rows: Any, account: Wallet, limit: int, *, with_pnl: bool) -> tuple[list[dict[str, Any]], bool]:
    found = list(rows[: limit + 1])
    return [presenters.execution(deal, account, with_pnl=with_pnl) for deal in found[:limit]], len(found) > limit


@trader_view(
    ["POST"],
    summary="Executions of orders",
    description="Fills of the given orders, newest first; `isExceeded`: more than `limit` exist.",
    request=s.OrdersExecutionsRequest,
    responses=s.OrderExecutionsResponse,
)
def orders_executions(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.OrdersExecutionsRequest, request.data)
    rows = presenters.deals_of(account).filter(order_id__in=_ids(values["orderIds"], "orderIds"))
    data, exceeded = _executions(rows, account, values["limit"], with_pnl=True)
    return Response({"executions": data, "isExceeded": exceeded})


@trader_view(
    ["POST"],
    summary="Executions of an order",
    description="Fills of one order, newest first, after `lastExecutionId`; `isExceeded`: more follow.",
    request=s.OrderExecutionsRequest,
    responses=s.OrderExecutionsResponse,
    parameters=[OpenApiParameter("orderId", str, OpenApiParameter.PATH)],
)
def order_executions(request: Request, orderId: str) -> Response:
    account = trading_account(request)
    values = valid(s.OrderExecutionsRequest, request.data)
    order = Order.objects.filter(account=account, pk=_pk(orderId, "orderId")).first()
    if order is None:
        raise exceptions.NotFound(_("There is no such order."))
    rows = presenters.deals_of(account).filter(order=order)
    last = _id(values.get("lastExecutionId"), "lastExecutionId")
    if last is not None:
        rows = rows.filter(pk__lt=last)
    data, exceeded = _executions(rows, account, values["limit"], with_pnl=True)
    return Response({"executions": data, "isExceeded": exceeded})


@trader_view(
    ["POST"],
    summary="Executions of positions",
    description="Opening and closing fills of the given positions, newest first, at most `limit`.",
    request=s.PositionsExecutionsRequest,
    responses=s.PositionExecutionsResponse,
)
def positions_executions(request: Request) -> Response:
    account = trading_account(request)
    values = valid(s.PositionsExecutionsRequest, request.data)
    rows = presenters.deals_of(account).filter(position_id__in=_ids(values["positionIds"], "positionIds"))
    data, _exceeded = _executions(rows, account, values["limit"], with_pnl=False)
    return Response({"executions": data})


def _position(account: Wallet, positionId: str, *, open_only: bool = True) -> Position:
    rows = Position.objects.builtin().select_related("instrument", "account").filter(account=account)
    found = rows.filter(pk=_pk(positionId, "positionId")).first()
    if found is None or (open_only and found.status != Position.Status.OPEN):
        raise exceptions.NotFound(_("There is no such open position."))
    return found


POSITION = [OpenApiParameter("positionId", str, OpenApiParameter.PATH)]


@trader_view(
    ["POST"],
    summary="Executions of a position",
    description="Opening and closing fills of one position, newest first, paged by `limit` and `offset`.",
    request=s.PositionExecutionsRequest,
    responses=s.PositionExecutionsResponse,
    parameters=POSITION,
)
def position_executions(request: Request, positionId: str) -> Response:
    account = trading_account(request)
    values = valid(s.PositionExecutionsRequest, request.data)
    position = _position(account, positionId, open_only=False)
    rows = presenters.deals_of(account).filter(position=position)
    start = values["offset"]
    found = rows[start : start + values["limit"]]
    return Response({"executions": [presenters.execution(deal, account, with_pnl=False) for deal in found]})


@trader_view(
    ["POST"],
    summary="Close a position",
    description="Closes `closePositionLotAmount` lots of the position (all of them: a full close) at the "
    "current price; profit and commission go through the ledger.",
    request=s.CloseRequest,
    responses=s.PositionIdResponse,
    parameters=POSITION,
)
def position_close(request: Request, positionId: str) -> Response:
    account = trading_account(request)
    values = valid(s.CloseRequest, request.data)
    position = _position(account, positionId)
    services.close_position(position, lots=values["closePositionLotAmount"], actor=request.user)
    return Response({"positionId": str(position.pk)})


@trader_view(
    ["POST"],
    summary="Close size in lots and percent",
    description="Give the lots or the percent of the open volume; both come back (a percent rounded down to "
    "the lot step).",
    request=s.CloseCalculationRequest,
    responses=s.CloseCalculationResponse,
    parameters=POSITION,
)
def position_close_calculation(request: Request, positionId: str) -> Response:
    account = trading_account(request)
    values = valid(s.CloseCalculationRequest, request.data)
    position = _position(account, positionId)
    return Response(
        pretrade.close_calculation(
            position, lots=values["closePositionLotAmount"], percent=values["closePositionLotAmountInPercent"]
        )
    )


@trader_view(
    ["PUT"],
    summary="Set a position's take profit and stop loss",
    description="Replaces both: one left out is removed. Trailing stops are not offered (400).",
    request=s.TriggersRequest,
    responses=s.PositionIdResponse,
    parameters=POSITION,
)
def position_triggers(request: Request, positionId: str) -> Response:
    account = trading_account(request)
    values = valid(s.TriggersRequest, request.data)
    position = _position(account, positionId)
    stop_loss, take_profit = values.get("stopLoss") or {}, values.get("takeProfit") or {}
    if stop_loss.get("isTrailing"):
        raise exceptions.ValidationError({"stopLoss.isTrailing": [_("Trailing stops are not offered.")]})
    services.modify_position(
        position, stop_loss=stop_loss.get("price"), take_profit=take_profit.get("price"), actor=request.user
    )
    return Response({"positionId": str(position.pk)})


@trader_view(
    ["POST"],
    summary="Take profit and stop loss from trigger sizes",
    description="Price, rate (percent of the open price), points and pnl of a take profit or stop loss given "
    "as Price, Points, Percent or Pnl (money in the account currency) for the position's open volume.",
    request=s.TriggerDataRequest,
    responses=s.TriggerDataResponse,
    parameters=POSITION,
)
def position_trigger_data(request: Request, positionId: str) -> Response:
    account = trading_account(request)
    values = valid(s.TriggerDataRequest, request.data)
    position = _position(account, positionId)
    rates = selectors.Rates.load()
    result: dict[str, Any] = {"takeProfit": None, "stopLoss": None}
    for key, is_tp in (("takeProfit", True), ("stopLoss", False)):
        given = values.get(key)
        if given:
            result[key] = pretrade.trigger(
                account,
                position.instrument,
                side=position.side,
                lots=position.lots,
                entry=position.open_price,
                take_profit=is_tp,
                trigger_type=given["triggerType"],
                size=given["triggerSize"],
                rates=rates,
                field=key,
            )
    return Response(result)


# Markets -------------------------------------------------------------------------------------------------


def _subtype(instrument: Instrument) -> str:
    return str(enums.MarketSubtype[Instrument.Category(instrument.category).name])


@trader_view(
    ["GET"],
    summary="Market categories",
    description="The categories markets are listed under (one level).",
    responses=s.CategoriesResponse,
    account=False,
)
def markets_categories(request: Request) -> Response:
    present = set(Instrument.objects.enabled().values_list("category", flat=True))
    categories = [
        {"id": str(enums.MarketSubtype[Instrument.Category(value).name]), "name": str(label), "categories": []}
        for value, label in Instrument.Category.choices
        if value in present
    ]
    return Response({"categories": categories})


@trader_view(["GET"], summary="Markets", responses=s.MarketV4Short(many=True), account=False)
def markets(request: Request) -> Response:
    rows = Instrument.objects.enabled().order_by("sort_order", "symbol")
    return Response(
        [
            {
                "marketId": item.symbol,
                "displayName": item.symbol,
                "fullName": item.description or item.symbol,
                "type": enums.MARKET_TYPE_OF[Instrument.MarketType(item.market_type)],
                "subtype": _subtype(item),
            }
            for item in rows
        ]
    )


def _seconds(clock: str) -> str:
    return "23:59:59" if clock == "24:00" else f"{clock}:00"


def market_v4(item: Instrument) -> dict[str, Any]:
    swap_asset = item.profit_currency
    sessions = [
        {
            "dayOfWeek": enums.WEEKDAY_OF[day],
            "timeIntervals": [{"start": _seconds(start), "end": _seconds(end)} for start, end in ranges],
        }
        for day, ranges in (item.sessions or {}).items()
        if day in enums.WEEKDAY_OF
    ]
    return {
        "marketId": item.symbol,
        "displayName": item.symbol,
        "fullName": item.description or item.symbol,
        "baseAssetId": item.margin_currency,
        "quoteAssetId": item.profit_currency,
        "minAmount": text(item.min_lot * item.contract_size),
        "maxBaseAmount": text(item.max_lot * item.contract_size),
        "priceDeviation": text(item.price_deviation),
        "priceScale": item.digits,
        "amountScale": item.amount_scale,
        "type": enums.MARKET_TYPE_OF[Instrument.MarketType(item.market_type)],
        "subtype": _subtype(item),
        "swapSettings": {
            "type": enums.SWAP_TYPE_OF.get(SwapMode(item.swap_mode), enums.SwapType.DISABLED),
            "shortPositionSettings": {"size": text(item.swap_short), "assetId": swap_asset},
            "longPositionSettings": {"size": text(item.swap_long), "assetId": swap_asset},
        },
        "lotSize": int(item.contract_size),
        "minLotAmount": text(item.min_lot),
        "maxLotAmount": int(item.max_lot),
        "tickSize": text(item.tick_size),
        "lotStep": text(item.lot_step),
        "slippageRate": "0",
        "maxLeverage": item.max_leverage or selectors.DEFAULT_LEVERAGE,
        "isConstLeverage": True,
        "calendar": {"timeZoneId": "UTC", "tradingSessions": sessions, "sessionOverrides": []},
        "fundingStartTime": "00:00:00",
        "fundingIntervalInHours": item.funding_interval_hours,
    }


@trader_view(
    ["GET"],
    summary="Market",
    description="A market's trading terms: sizes, lots, swaps, leverage cap and trading sessions (UTC).",
    responses=s.MarketV4,
    parameters=[OpenApiParameter("marketId", str, OpenApiParameter.PATH)],
    account=False,
)
def market_detail(request: Request, marketId: str) -> Response:
    return Response(market_v4(market(marketId)))
