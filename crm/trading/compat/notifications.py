"""001 "Notification subscriptions" (price alerts, v3) and "Trader notifications" (`/notification/api/v1/...`).

A price alert watches the market's bid (`Gte`: at or above `price`, `Lte`: at or below) and fires once, as a
`MarketPrice` notification, from the quote path. Margin calls (`MarginCall`, at most one per account and hour)
and stop-outs (`StopOut`, one per position closed) come from the engine's events.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from crm.trading import services
from crm.trading.compat import serializers as s
from crm.trading.compat.common import market, text, trader_view, trading_account, valid
from crm.trading.compat.v4 import _ids
from crm.trading.models import PriceAlert, TraderNotification

S = serializers.Serializer
MAX_IDS = 1000


class AlertMarketsRequest(S[Any]):
    marketIds = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=MAX_IDS
    )
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_IDS)
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


class Subscription(S[Any]):
    id = serializers.CharField()
    price = serializers.CharField()
    condition = serializers.ChoiceField(choices=PriceAlert.Condition.choices)


class MarketSubscriptions(S[Any]):
    marketId = serializers.CharField()
    subscriptions = Subscription(many=True)


class AlertMarketsResponse(S[Any]):
    markets = MarketSubscriptions(many=True)


class AlertCreateRequest(S[Any]):
    marketId = serializers.CharField(max_length=32)
    price = serializers.DecimalField(max_digits=24, decimal_places=10)
    condition = serializers.ChoiceField(choices=PriceAlert.Condition.choices)


class IdResponse(S[Any]):
    id = serializers.CharField()


class IdsRequest(S[Any]):
    ids = serializers.ListField(child=serializers.CharField(max_length=20), max_length=MAX_IDS)


class NotificationsRequest(S[Any]):
    isUnreadOnly = serializers.BooleanField(required=False, default=False)
    lastId = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None, max_length=20)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=MAX_IDS)


class NotificationData(S[Any]):
    type = serializers.ChoiceField(choices=TraderNotification.Type.choices)
    accountName = serializers.CharField()
    marginCallLevel = serializers.CharField(required=False, help_text="MarginCall.")
    marginLevel = serializers.CharField(required=False, help_text="MarginCall: the account's level, percent.")
    stopOutLevel = serializers.CharField(required=False, help_text="StopOut.")
    positionId = serializers.CharField(required=False, help_text="StopOut: the position closed.")
    note = serializers.CharField(required=False, help_text="StopOut: equity and margin at the close.")
    marketId = serializers.CharField(required=False, help_text="MarketPrice.")
    price = serializers.CharField(required=False, help_text="MarketPrice: the alert's price.")
    condition = serializers.ChoiceField(choices=PriceAlert.Condition.choices, required=False)
    marketPrice = serializers.CharField(required=False, help_text="MarketPrice: the bid that fired it.")


class Notification(S[Any]):
    id = serializers.CharField()
    isRead = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=TraderNotification.Type.choices)
    data = NotificationData()  # type: ignore[assignment]  # a field named like Serializer.data


class NotificationsResponse(S[Any]):
    notifications = Notification(many=True)


class CountResponse(S[Any]):
    count = serializers.IntegerField()


@trader_view(
    ["POST"],
    summary="Price alerts per market",
    description="The account's active price alerts grouped by market (all markets with alerts when `marketIds` "
    "is empty), markets in symbol order paged by `limit` and `offset`.",
    request=AlertMarketsRequest,
    responses=AlertMarketsResponse,
)
def alert_markets(request: Request) -> Response:
    account = trading_account(request)
    values = valid(AlertMarketsRequest, request.data)
    rows = PriceAlert.objects.filter(account=account, is_active=True)
    if values["marketIds"]:
        rows = rows.filter(instrument__symbol__in=values["marketIds"])
    symbols = list(
        rows.values("instrument__symbol")
        .annotate(n=Count("pk"))
        .order_by("instrument__symbol")
        .values_list("instrument__symbol", flat=True)[values["offset"] : values["offset"] + values["limit"]]
    )
    grouped: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in symbols}
    for alert in rows.filter(instrument__symbol__in=symbols).select_related("instrument").order_by("pk"):
        grouped[alert.instrument.symbol].append(
            {"id": str(alert.pk), "price": text(alert.price), "condition": alert.condition}
        )
    return Response({"markets": [{"marketId": key, "subscriptions": value} for key, value in grouped.items()]})


@trader_view(
    ["POST", "DELETE"],
    summary="Create or delete price alerts",
    description="POST `{marketId, price, condition}` creates an alert (Gte: bid at or above, Lte: at or below; "
    "at most 200 active per account) and answers its `id`; DELETE `{ids}` removes alerts and answers `{}` "
    "(an id not the account's refuses them all with a 404).",
    request=AlertCreateRequest,
    responses=IdResponse,
    per_method={"DELETE": {"request": IdsRequest, "responses": s.Empty}},
)
def alerts(request: Request) -> Response:
    account = trading_account(request)
    if request.method == "DELETE":
        ids = _ids(valid(IdsRequest, request.data)["ids"], "ids")
        services.delete_price_alerts(account, ids)
        return Response({})
    values = valid(AlertCreateRequest, request.data)
    alert = services.create_price_alert(
        account, instrument=market(values["marketId"]), price=values["price"], condition=values["condition"]
    )
    return Response({"id": str(alert.pk)})


@trader_view(
    ["POST"],
    summary="Trader notifications",
    description="The account's notifications, newest first, after `lastId`; `isUnreadOnly` leaves out read ones. "
    "`type`: MarketPrice (a price alert fired), MarginCall, StopOut; `data` holds the fields of its type.",
    request=NotificationsRequest,
    responses=NotificationsResponse,
)
def notifications(request: Request) -> Response:
    account = trading_account(request)
    values = valid(NotificationsRequest, request.data)
    rows = TraderNotification.objects.filter(account=account).order_by("-pk")
    last = _ids([values["lastId"]] if values["lastId"] else [], "lastId")
    if last:
        rows = rows.filter(pk__lt=last[0])
    if values["isUnreadOnly"]:
        rows = rows.filter(is_read=False)
    return Response(
        {
            "notifications": [
                {
                    "id": str(row.pk),
                    "isRead": row.is_read,
                    "createdAt": row.created_at,
                    "type": row.type,
                    "data": row.data,
                }
                for row in rows[: values["limit"]]
            ]
        }
    )


@trader_view(["GET"], summary="Unread notifications count", responses=CountResponse)
def unread_count(request: Request) -> Response:
    account = trading_account(request)
    return Response({"count": TraderNotification.objects.filter(account=account, is_read=False).count()})


@trader_view(
    ["POST"],
    summary="Mark notifications read",
    description="An id not the account's refuses them all with a 404.",
    request=IdsRequest,
    responses=s.Empty,
)
def mark_read(request: Request) -> Response:
    account = trading_account(request)
    services.mark_read(account, _ids(valid(IdsRequest, request.data)["ids"], "ids"))
    return Response({})


@trader_view(["POST"], summary="Mark all notifications read", request=None, responses=s.Empty)
def mark_all_read(request: Request) -> Response:
    services.mark_all_read(trading_account(request))
    return Response({})
