"""Request and response bodies of the 001 trader API, with the seed's field names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from crm.trading.compat import enums

S = serializers.Serializer
MAX_LIMIT = 1000


def _price(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=10, **kwargs)


def _lots(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=8, min_value=Decimal(0), **kwargs)


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(**kwargs)


def _nullable_text() -> serializers.CharField:
    return serializers.CharField(allow_null=True)


# Requests -------------------------------------------------------------------------------------------------


class TriggerRequest(S[Any]):
    triggerType = serializers.ChoiceField(choices=enums.TriggerType.choices)
    triggerSize = _price()


class StopTriggerRequest(TriggerRequest):
    isTrailing = serializers.BooleanField(required=False, default=False)


class OrderDataOrder(S[Any]):
    marketId = serializers.CharField(max_length=32)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    requestedPrice = _price(required=False, allow_null=True, default=None)
    requestedLotAmount = _lots()
    leverage = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    takeProfit = TriggerRequest(required=False, allow_null=True, default=None)
    stopLoss = StopTriggerRequest(required=False, allow_null=True, default=None)


class OrderDataRequest(S[Any]):
    order = OrderDataOrder()


class PriceRequest(S[Any]):
    price = _price()


class StopPriceRequest(PriceRequest):
    isTrailing = serializers.BooleanField(required=False, default=False)


class PlaceOrder(S[Any]):
    marketId = serializers.CharField(max_length=32)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    requestedPrice = _price(required=False, allow_null=True, default=None)
    requestedLotAmount = _lots()
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices, required=False, default="Gtc")
    cancellationDate = serializers.DateTimeField(required=False, allow_null=True, default=None)
    leverage = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    takeProfit = PriceRequest(required=False, allow_null=True, default=None)
    stopLoss = StopPriceRequest(required=False, allow_null=True, default=None)


class PlaceOrderRequest(S[Any]):
    order = PlaceOrder()


class PlaceStopOrder(PlaceOrder):
    activationPrice = _price()


class PlaceStopOrderRequest(S[Any]):
    order = PlaceStopOrder()


class OrderListRequest(S[Any]):
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)
    createdAtFrom = serializers.DateTimeField(required=False, allow_null=True, default=None)
    createdAtTo = serializers.DateTimeField(required=False, allow_null=True, default=None)
    orderStatus = serializers.ListField(
        child=serializers.ChoiceField(choices=enums.OrderStatus.choices), required=False, default=list, max_length=10
    )
    lastOrderId = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None, max_length=20)


class ClosedPositionsRequest(S[Any]):
    createdAtFrom = serializers.DateTimeField(required=False, allow_null=True, default=None)
    createdAtTo = serializers.DateTimeField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)
    lastOrderId = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None, max_length=20)


class OrdersExecutionsRequest(S[Any]):
    orderIds = serializers.ListField(child=serializers.CharField(max_length=20), max_length=MAX_LIMIT)
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)


class OrderExecutionsRequest(S[Any]):
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)
    lastExecutionId = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None, max_length=20
    )


class PositionsExecutionsRequest(S[Any]):
    positionIds = serializers.ListField(child=serializers.CharField(max_length=20), max_length=MAX_LIMIT)
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)


class PositionExecutionsRequest(S[Any]):
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT)
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


class CloseRequest(S[Any]):
    closePositionLotAmount = _lots()


class CloseCalculationRequest(S[Any]):
    closePositionLotAmount = _lots(required=False, allow_null=True, default=None)
    closePositionLotAmountInPercent = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
        default=None,
    )


class TriggersRequest(S[Any]):
    takeProfit = PriceRequest(required=False, allow_null=True, default=None)
    stopLoss = StopPriceRequest(required=False, allow_null=True, default=None)


class TriggerDataRequest(S[Any]):
    takeProfit = TriggerRequest(required=False, allow_null=True, default=None)
    stopLoss = StopTriggerRequest(required=False, allow_null=True, default=None)


class SpotOrderDataOrder(S[Any]):
    marketId = serializers.CharField(max_length=32)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    requestedPrice = _price(required=False, allow_null=True, default=None)
    requestedBaseAmount = _price(required=False, allow_null=True, default=None)
    requestedQuoteAmount = _price(required=False, allow_null=True, default=None)


class SpotOrderDataRequest(S[Any]):
    order = SpotOrderDataOrder()


class SpotOrder(S[Any]):
    marketId = serializers.CharField(max_length=32)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    requestedPrice = _price(required=False, allow_null=True, default=None)
    requestedAmount = _price(min_value=Decimal(0))
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices, required=False, default="Gtc")
    cancellationDate = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SpotOrderRequest(S[Any]):
    order = SpotOrder()


class SpotStopOrder(SpotOrder):
    activationPrice = _price()


class SpotStopOrderRequest(S[Any]):
    order = SpotStopOrder()


# Responses ------------------------------------------------------------------------------------------------


class OrderAccepted(S[Any]):
    orderId = _text()
    status = serializers.ChoiceField(choices=enums.OrderStatus.choices)


class OrderAcceptedResponse(S[Any]):
    order = OrderAccepted()


class TriggerResult(S[Any]):
    price = _text()
    rate = _text()
    points = serializers.IntegerField()
    pnl = _text()


class OrderDataResult(S[Any]):
    requiredMarginInRAT = _text()
    quoteAmount = _text()
    commissionAmountInRAT = _text()
    marginLevel = _nullable_text()
    takeProfit = TriggerResult(allow_null=True)
    stopLoss = TriggerResult(allow_null=True)


class OrderDataResponse(S[Any]):
    order = OrderDataResult()


class OrderV4(S[Any]):
    marketId = _text()
    marketType = serializers.ChoiceField(choices=enums.MarketType.choices)
    marketDisplayName = _text()
    marketFullName = _text()
    orderId = _text()
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices)
    status = serializers.ChoiceField(choices=enums.OrderStatus.choices)
    source = serializers.ChoiceField(choices=enums.OrderSource.choices)  # type: ignore[assignment]
    reason = serializers.ChoiceField(choices=enums.Reason.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    requestedAmount = _text()
    remainingAmount = _text()
    requestedPrice = _nullable_text()
    executionPrice = _nullable_text()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    cancellationDate = serializers.DateTimeField(allow_null=True)
    commissionAssetId = _text()
    commissionAmount = _text()
    leverage = serializers.IntegerField()
    rejectDetails = _nullable_text()
    fillFactor = _text()


class OrderV4Response(S[Any]):
    order = OrderV4()


class OrderV4List(S[Any]):
    data = OrderV4(many=True)  # type: ignore[assignment]  # a field named like Serializer.data


class ClosedPosition(S[Any]):
    marketId = _text()
    marketFullName = _text()
    marketDisplayName = _text()
    marketType = serializers.ChoiceField(choices=enums.MarketType.choices)
    orderId = _text()
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    positionCloseLotAmount = _text()
    reason = serializers.ChoiceField(choices=enums.Reason.choices)
    realizedPnlInRAT = _text()
    closedAt = serializers.DateTimeField()
    positionId = _text()
    openPrice = _text()
    closePrice = _text()
    positionPriceInRAT = _text()
    rateToRAT = _text()
    openedAt = serializers.DateTimeField()


class ClosedPositionsResponse(S[Any]):
    data = ClosedPosition(many=True)  # type: ignore[assignment]  # a field named like Serializer.data
    isExceeded = serializers.BooleanField()


class Commission(S[Any]):
    assetId = _text()
    amount = _text()


class PositionExecution(S[Any]):
    positionId = _text()
    orderId = _nullable_text()
    side = serializers.ChoiceField(choices=enums.Side.choices)
    reason = serializers.ChoiceField(choices=enums.Reason.choices)
    createdAt = serializers.DateTimeField()
    executionId = _text()
    baseAmount = _text()
    executionPrice = _text()
    commissionAmountInRAT = _text()
    commissions = Commission(many=True)


class OrderExecution(PositionExecution):
    realizedPnlInRAT = _text()


class OrderExecutionsResponse(S[Any]):
    executions = OrderExecution(many=True)
    isExceeded = serializers.BooleanField()


class PositionExecutionsResponse(S[Any]):
    executions = PositionExecution(many=True)


class PositionIdResponse(S[Any]):
    positionId = _text()


class CloseCalculationResponse(S[Any]):
    closePositionLotAmount = _text()
    closePositionLotAmountInPercent = _text()


class TriggerDataResponse(S[Any]):
    takeProfit = TriggerResult(allow_null=True)
    stopLoss = TriggerResult(allow_null=True)


class MarginAsset(S[Any]):
    assetId = _text()
    assetName = _text()
    available = _text()
    total = _text()
    marginRatio = _text()
    isSelected = serializers.BooleanField()


class MarginAssetsResponse(S[Any]):
    assets = MarginAsset(many=True)


class Empty(S[Any]):
    """An empty object, `{}`."""


class Category(S[Any]):
    id = _text()
    name = _text()
    categories = serializers.ListField(child=serializers.DictField(child=_text()), help_text="Sub-categories.")


class CategoriesResponse(S[Any]):
    categories = Category(many=True)


class MarketV4Short(S[Any]):
    marketId = _text()
    displayName = _text()
    fullName = _text()
    type = serializers.ChoiceField(choices=enums.MarketType.choices)
    subtype = serializers.ChoiceField(choices=enums.MarketSubtype.choices)


class SwapSide(S[Any]):
    size = _text()
    assetId = _text()


class SwapSettings(S[Any]):
    type = serializers.ChoiceField(choices=enums.SwapType.choices)
    shortPositionSettings = SwapSide()
    longPositionSettings = SwapSide()


class TimeInterval(S[Any]):
    start = _text(help_text="HH:MM:SS")
    end = _text(help_text="HH:MM:SS")


class TradingSession(S[Any]):
    dayOfWeek = serializers.ChoiceField(choices=enums.DayOfWeek.choices)
    timeIntervals = TimeInterval(many=True)


class TraderSessionOverride(S[Any]):
    date = serializers.DateField()
    timeIntervals = TimeInterval(many=True)


class Calendar(S[Any]):
    timeZoneId = _text()
    tradingSessions = TradingSession(many=True)
    sessionOverrides = TraderSessionOverride(many=True)


class MarketV4(S[Any]):
    marketId = _text()
    displayName = _text()
    fullName = _text()
    baseAssetId = _text()
    quoteAssetId = _text()
    minAmount = _text()
    maxBaseAmount = _text()
    priceDeviation = _text()
    priceScale = serializers.IntegerField()
    amountScale = serializers.IntegerField()
    type = serializers.ChoiceField(choices=enums.MarketType.choices)
    subtype = serializers.ChoiceField(choices=enums.MarketSubtype.choices)
    swapSettings = SwapSettings()
    lotSize = serializers.IntegerField()
    minLotAmount = _text()
    maxLotAmount = serializers.IntegerField()
    tickSize = _text()
    lotStep = _text()
    slippageRate = _text()
    maxLeverage = serializers.IntegerField()
    isConstLeverage = serializers.BooleanField()
    calendar = Calendar()
    fundingStartTime = _text(help_text="HH:MM:SS")
    fundingIntervalInHours = serializers.IntegerField()


class Account(S[Any]):
    accountId = _text()
    accountName = _text()
    accountType = serializers.ChoiceField(choices=enums.AccountType.choices)
    totalBalanceInRAT = _text()


class TraderAsset(S[Any]):
    assetId = _text()
    assetName = _text()
    isRootAsset = serializers.BooleanField()


class MarketV3Short(S[Any]):
    marketId = _text()
    displayName = _text()


class MarketV3(S[Any]):
    marketId = _text()
    displayName = _text()
    baseAssetId = _text()
    quoteAssetId = _text()
    minAmount = _text()
    priceDeviation = _text()
    priceScale = serializers.IntegerField()
    amountScale = serializers.IntegerField()
    status = _text(help_text="Active or Disabled.")
    side = _text(help_text="Both: buy and sell.")
    isHidden = serializers.BooleanField()


class SpotOrderDataResult(S[Any]):
    baseAmount = _text()
    quoteAmount = _text()
    commissionAmount = _text()
    total = _text()


class SpotOrderDataResponse(S[Any]):
    order = SpotOrderDataResult()


class OrderV3(S[Any]):
    marketId = _text()
    marketDisplayName = _text()
    orderId = _text()
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    status = serializers.ChoiceField(choices=enums.OrderStatus.choices)
    source = serializers.ChoiceField(choices=enums.OrderSource.choices)  # type: ignore[assignment]
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices)
    commission = _text()
    requestedAmount = _text()
    remainingAmount = _text()
    requestedPrice = _nullable_text()
    executionPrice = _nullable_text()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    rejectDetails = _nullable_text()
    cancellationDate = serializers.DateTimeField(allow_null=True)
    fillFactor = _text()


class OrderV3Response(S[Any]):
    order = OrderV3()


class OrderV3List(S[Any]):
    data = OrderV3(many=True)  # type: ignore[assignment]  # a field named like Serializer.data


class StopOrderV3(S[Any]):
    marketId = _text()
    marketDisplayName = _text()
    orderId = _text()
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    side = serializers.ChoiceField(choices=enums.Side.choices)
    requestedPrice = _nullable_text()
    activationPrice = _text()
    requestedAmount = _text()
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices)
    status = serializers.ChoiceField(choices=enums.OrderStatus.choices)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    cancellationDate = serializers.DateTimeField(allow_null=True)


class StopOrderV3Response(S[Any]):
    order = StopOrderV3()


class MarginLevels(S[Any]):
    marginCallLevel = _text()
    stopOutLevel = _text()


class ServerInfo(S[Any]):
    serverTime = _text()
    serverTimeZone = _text()
