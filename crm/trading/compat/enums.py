"""The value sets of the 001 enums (the seed shows one example of each); every endpoint uses these."""

from __future__ import annotations

from django.db import models

from crm.trading.models import Instrument, Order, Position, SwapMode


class Side(models.TextChoices):
    BUY = "Buy"
    SELL = "Sell"


class OrderType(models.TextChoices):
    MARKET = "Market"
    LIMIT = "Limit"
    STOP = "Stop"


class TimeInForce(models.TextChoices):
    GTC = "Gtc"
    IOC = "Ioc"
    FOK = "Fok"
    GTD = "Gtd"


class OrderStatus(models.TextChoices):
    """`Started`: a limit order working; `WaitingForActivation`: a stop order waiting for its price."""

    STARTED = "Started"
    WAITING_FOR_ACTIVATION = "WaitingForActivation"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    EXPIRED = "Expired"


class OrderSource(models.TextChoices):
    MANUAL = "Manual"
    DEALER = "Dealer"


class Reason(models.TextChoices):
    TRADER = "Trader"
    DEALER = "Dealer"
    STOP_LOSS = "StopLoss"
    TAKE_PROFIT = "TakeProfit"
    STOP_OUT = "StopOut"


class MarketType(models.TextChoices):
    SPOT = "Spot"
    CFD = "Cfd"
    PERPETUAL = "Perpetual"


class MarketSubtype(models.TextChoices):
    FOREX = "Forex"
    METALS = "Metals"
    INDICES = "Indices"
    COMMODITIES = "Commodities"
    ENERGIES = "Energies"
    STOCKS = "Stocks"
    CRYPTO = "Crypto"
    OTHER = "Other"


class SwapType(models.TextChoices):
    DISABLED = "Disabled"
    POINTS = "Points"
    MONEY = "Money"
    INTEREST = "Interest"


class MarketStatus(models.TextChoices):
    """Back office v2: whether clients may trade the market."""

    ACTIVE = "Active"
    DISABLED = "Disabled"


class FileJobStatus(models.TextChoices):
    """Back office v2: a markets file import or export."""

    IN_PROCESS = "InProcess"
    COMPLETED = "Completed"
    FAILED = "Failed"


class MarketSortField(models.TextChoices):
    MARKET_ID = "MarketId"
    DISPLAY_NAME = "DisplayName"
    FULL_NAME = "FullName"
    TYPE = "Type"
    SUBTYPE = "Subtype"
    STATUS = "Status"
    BASE_ASSET_ID = "BaseAssetId"
    QUOTE_ASSET_ID = "QuoteAssetId"
    CREATED_AT = "CreatedAt"
    UPDATED_AT = "UpdatedAt"


class SortDirection(models.TextChoices):
    ASC = "Asc"
    DESC = "Desc"


class DayOfWeek(models.TextChoices):
    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"
    SUNDAY = "Sunday"


class TriggerType(models.TextChoices):
    """How a take profit or stop loss is given: a price, points, percent of the entry, or money (RAT)."""

    PRICE = "Price"
    POINTS = "Points"
    PERCENT = "Percent"
    PNL = "Pnl"


class AccountType(models.TextChoices):
    HEDGING = "Hedging"


SIDES = {Side.BUY: "buy", Side.SELL: "sell"}
SIDE_OF = {"buy": Side.BUY, "sell": Side.SELL}
ORDER_TYPE_OF = {
    Order.Type.MARKET: OrderType.MARKET,
    Order.Type.LIMIT: OrderType.LIMIT,
    Order.Type.STOP: OrderType.STOP,
}
ORDER_TYPES = {value: key for key, value in ORDER_TYPE_OF.items()}
MARKET_TYPE_OF = {
    Instrument.MarketType.SPOT: MarketType.SPOT,
    Instrument.MarketType.CFD: MarketType.CFD,
    Instrument.MarketType.PERPETUAL: MarketType.PERPETUAL,
}
CLOSE_REASON_OF = {
    Position.CloseReason.CLIENT: Reason.TRADER,
    Position.CloseReason.DEALER: Reason.DEALER,
    Position.CloseReason.STOP_LOSS: Reason.STOP_LOSS,
    Position.CloseReason.TAKE_PROFIT: Reason.TAKE_PROFIT,
    Position.CloseReason.STOP_OUT: Reason.STOP_OUT,
}
SWAP_TYPE_OF = {
    SwapMode.DISABLED: SwapType.DISABLED,
    SwapMode.POINTS: SwapType.POINTS,
    SwapMode.CURRENCY_SYMBOL: SwapType.MONEY,
    SwapMode.CURRENCY_MARGIN: SwapType.MONEY,
    SwapMode.CURRENCY_DEPOSIT: SwapType.MONEY,
    SwapMode.INTEREST_CURRENT: SwapType.INTEREST,
    SwapMode.INTEREST_OPEN: SwapType.INTEREST,
}
WEEKDAY_OF = dict(zip(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], DayOfWeek.values, strict=True))


def order_status(order: Order) -> str:
    if order.status == Order.Status.PENDING:
        return OrderStatus.WAITING_FOR_ACTIVATION if order.type == Order.Type.STOP else OrderStatus.STARTED
    return {
        Order.Status.FILLED: OrderStatus.FILLED,
        Order.Status.CANCELLED: OrderStatus.CANCELLED,
        Order.Status.REJECTED: OrderStatus.REJECTED,
        Order.Status.EXPIRED: OrderStatus.EXPIRED,
    }[Order.Status(order.status)]


def status_filter(values: list[str]) -> models.Q:
    """The engine rows of the given 001 statuses."""
    query = models.Q(pk__in=[])
    for value in values:
        if value == OrderStatus.STARTED:
            query |= models.Q(status=Order.Status.PENDING) & ~models.Q(type=Order.Type.STOP)
        elif value == OrderStatus.WAITING_FOR_ACTIVATION:
            query |= models.Q(status=Order.Status.PENDING, type=Order.Type.STOP)
        else:
            engine = {
                OrderStatus.FILLED: Order.Status.FILLED,
                OrderStatus.CANCELLED: Order.Status.CANCELLED,
                OrderStatus.REJECTED: Order.Status.REJECTED,
                OrderStatus.EXPIRED: Order.Status.EXPIRED,
            }[OrderStatus(value)]
            query |= models.Q(status=engine)
    return query


def is_dealer_order(order: Order) -> bool:
    return bool(order.created_by_id and order.created_by is not None and order.created_by.is_staff)
