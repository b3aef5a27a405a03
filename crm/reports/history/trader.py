"""Seed 001 history server, trader side (`trading-ui`): the caller's order history across their trading accounts.

`GET /api/history/orders/{orderId}` answers an array of the order's states; the engine keeps an order's current
state only, so the array holds that one. `POST /api/history/orders/list` is newest first, the next page after
`lastOrderId`. Amounts (lots) and prices are JSON numbers, as everywhere in the history server.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.decorators import renderer_classes
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import portal_customer
from crm.reports.history import serializers as s
from crm.reports.history.numbers import ExactNumbersRenderer
from crm.reports.history.sources import order_commission
from crm.trading.compat import enums
from crm.trading.compat.common import TRADING_TYPES, trader_view, valid
from crm.trading.models import Order

ZERO = Decimal(0)
GTD = enums.TimeInForce.GTD


def _orders(request: Request) -> QuerySet[Order]:
    return (
        Order.objects.filter(account__customer=portal_customer(request), account__type__in=TRADING_TYPES)
        .select_related("instrument", "created_by")
        .annotate(commission_total=order_commission())
        .order_by("-pk")
    )


def history_row(order: Order) -> dict[str, Any]:
    dealer = enums.is_dealer_order(order)
    return {
        "marketId": order.instrument.symbol,
        "orderId": str(order.pk),
        "timeInForce": GTD if order.time_in_force == Order.TimeInForce.GTD else enums.TimeInForce.GTC,
        "status": enums.order_status(order),
        "source": enums.OrderSource.DEALER if dealer else enums.OrderSource.MANUAL,
        "side": enums.SIDE_OF[order.side],
        "orderType": enums.ORDER_TYPE_OF[Order.Type(order.type)],
        "requestedAmount": order.lots,
        "remainingAmount": ZERO if order.status == Order.Status.FILLED else order.lots,
        "requestedPrice": order.price,
        "executionPrice": order.fill_price,
        "hedge": 1,
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
        "cancellationDate": order.expires_at,
        "commission": getattr(order, "commission_total", ZERO),
    }


@trader_view(
    ["GET"],
    summary="One order's history",
    description="The caller's order (any of their trading accounts) as an array of its states; the engine keeps the "
    "current state only. Another client's order is a 404.",
    parameters=[OpenApiParameter("orderId", str, OpenApiParameter.PATH)],
    responses=s.HistoryOrderSerializer(many=True),
    account=False,
)
@renderer_classes([ExactNumbersRenderer])
def history_order(request: Request, orderId: str) -> Response:
    order = _orders(request).filter(pk=int(orderId)).first() if orderId.isdigit() and len(orderId) < 19 else None
    if order is None:
        raise exceptions.NotFound()
    return Response([history_row(order)])


@trader_view(
    ["POST"],
    summary="Order history list",
    description="The caller's orders of all their trading accounts, newest first, created in "
    "[`createdAtFrom`, `createdAtTo`), of the given statuses; the next page starts after `lastOrderId`.",
    request=s.HistoryOrdersRequestSerializer,
    responses=s.HistoryOrderSerializer(many=True),
    account=False,
)
@renderer_classes([ExactNumbersRenderer])
def history_orders(request: Request) -> Response:
    values = valid(s.HistoryOrdersRequestSerializer, request.data)
    rows = _orders(request)
    if values["createdAtFrom"]:
        rows = rows.filter(created_at__gte=values["createdAtFrom"])
    if values["createdAtTo"]:
        rows = rows.filter(created_at__lt=values["createdAtTo"])
    if values["orderStatuses"]:
        rows = rows.filter(enums.status_filter(values["orderStatuses"]))
    last = values["lastOrderId"]
    if last:
        rows = rows.filter(pk__lt=int(last))
    return Response([history_row(order) for order in rows[: values["limit"]]])
