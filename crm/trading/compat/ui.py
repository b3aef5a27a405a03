"""001 "Trading UI settings", "Layouts" and "Templates" (v3), kept per client (no `accountId`).

Widget types (the seed shows `BbpFavorites`): BbpFavorites, Chart, Markets, OrderForm, Positions, Orders,
TradeHistory, AccountSummary. Templates are the predefined layouts a client starts from.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import portal_customer
from crm.trading import services
from crm.trading.compat.common import trader_view, valid
from crm.trading.models import TraderLayout

S = serializers.Serializer
NO_CONTENT = {204: OpenApiResponse(description="No content.")}


class WidgetType(models.TextChoices):
    BBP_FAVORITES = "BbpFavorites"
    CHART = "Chart"
    MARKETS = "Markets"
    ORDER_FORM = "OrderForm"
    POSITIONS = "Positions"
    ORDERS = "Orders"
    TRADE_HISTORY = "TradeHistory"
    ACCOUNT_SUMMARY = "AccountSummary"


class Sizes(S[Any]):
    x = serializers.IntegerField(min_value=0, max_value=10_000)
    y = serializers.IntegerField(min_value=0, max_value=10_000)
    cols = serializers.IntegerField(min_value=0, max_value=10_000)
    rows = serializers.IntegerField(min_value=0, max_value=10_000)
    layerIndex = serializers.IntegerField(min_value=0, max_value=10_000)


class WidgetSettings(S[Any]):
    pairs = serializers.ListField(child=serializers.CharField(max_length=32), max_length=200, required=False)


class Widget(S[Any]):
    id = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=WidgetType.choices)
    settings = WidgetSettings(required=False)


class Tab(S[Any]):
    id = serializers.CharField(max_length=64)
    selectedWidgetId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    sizes = Sizes()
    widgets = serializers.ListField(child=Widget(), max_length=50)


class Tabs(S[Any]):
    tabs = serializers.ListField(child=Tab(), max_length=20)


class LayoutCreate(Tabs):
    id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=100)


class Layout(LayoutCreate):
    pass


class LayoutsResponse(S[Any]):
    layouts = Layout(many=True)


class Rename(S[Any]):
    name = serializers.CharField(max_length=100)


class Order(S[Any]):
    layoutOrder = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100)


class UiSettings(S[Any]):
    selectedLayoutId = serializers.CharField(max_length=64, allow_blank=True, required=False)
    isIntroductionTourCompleted = serializers.BooleanField(required=False)
    is24HTimeFormatUsed = serializers.BooleanField(required=False)
    theme = serializers.CharField(max_length=32, required=False)


class TemplateWidget(S[Any]):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=WidgetType.choices)


class TemplateTab(S[Any]):
    id = serializers.CharField()
    selectedWidgetId = serializers.CharField()
    sizes = Sizes()
    widgets = TemplateWidget(many=True)


class Template(S[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    isDefault = serializers.BooleanField()
    tabs = TemplateTab(many=True)


class TemplatesResponse(S[Any]):
    templates = Template(many=True)


def _tab(tab_id: str, widgets: list[str], x: int, cols: int) -> dict[str, Any]:
    return {
        "id": tab_id,
        "selectedWidgetId": f"{tab_id}-1",
        "sizes": {"x": x, "y": 0, "cols": cols, "rows": 12, "layerIndex": 0},
        "widgets": [{"id": f"{tab_id}-{n}", "type": kind} for n, kind in enumerate(widgets, 1)],
    }


TEMPLATES = [
    {
        "id": "classic",
        "name": "Classic",
        "isDefault": True,
        "tabs": [
            _tab("markets", [WidgetType.BBP_FAVORITES, WidgetType.MARKETS], 0, 3),
            _tab("chart", [WidgetType.CHART], 3, 6),
            _tab("trade", [WidgetType.ORDER_FORM, WidgetType.ACCOUNT_SUMMARY], 9, 3),
            _tab("book", [WidgetType.POSITIONS, WidgetType.ORDERS, WidgetType.TRADE_HISTORY], 0, 12),
        ],
    },
    {
        "id": "chart-focus",
        "name": "Chart focus",
        "isDefault": False,
        "tabs": [
            _tab("chart", [WidgetType.CHART], 0, 9),
            _tab("trade", [WidgetType.ORDER_FORM, WidgetType.POSITIONS], 9, 3),
        ],
    },
]
SETTINGS_FIELDS = {
    "selectedLayoutId": "selected_layout_id",
    "isIntroductionTourCompleted": "is_introduction_tour_completed",
    "is24HTimeFormatUsed": "is_24h_time_format_used",
    "theme": "theme",
}
LAYOUT_ID = [OpenApiParameter("id", str, OpenApiParameter.PATH)]


@trader_view(
    ["GET", "PATCH"],
    summary="UI settings",
    description="GET answers the settings; PATCH changes the fields given (a selected layout must be one of the "
    "client's) and answers 204.",
    request=UiSettings,
    responses={200: UiSettings, **NO_CONTENT},
    account=False,
)
def ui_settings(request: Request) -> Response:
    customer = portal_customer(request)
    if request.method == "PATCH":
        values = valid(UiSettings, request.data)
        services.update_ui_settings(customer, **{SETTINGS_FIELDS[key]: value for key, value in values.items()})
        return Response(status=204)
    row = services.ui_settings(customer)
    return Response({key: getattr(row, name) for key, name in SETTINGS_FIELDS.items()})


def _layout(row: TraderLayout) -> dict[str, Any]:
    return {"id": row.layout_id, "name": row.name, "tabs": row.tabs}


@trader_view(
    ["GET", "POST"],
    summary="Layouts",
    description="GET lists the client's layouts in their order; POST creates one at the end (201; an id already "
    "used is a 409, at most 50 layouts).",
    request=LayoutCreate,
    responses={200: LayoutsResponse, 201: OpenApiResponse(description="Created.")},
    account=False,
)
def layouts(request: Request) -> Response:
    customer = portal_customer(request)
    if request.method == "POST":
        values = valid(LayoutCreate, request.data)
        services.create_layout(customer, layout_id=values["id"], name=values["name"], tabs=values["tabs"])
        return Response(status=201)
    rows = TraderLayout.objects.filter(customer=customer).order_by("position", "pk")
    return Response({"layouts": [_layout(row) for row in rows]})


@trader_view(
    ["PUT", "DELETE"],
    summary="Replace or delete a layout",
    description="PUT replaces the layout's tabs, DELETE removes it; both answer 204 (another's or an unknown "
    "layout is a 404).",
    request=Tabs,
    responses=NO_CONTENT,
    parameters=LAYOUT_ID,
    account=False,
    per_method={"DELETE": {"request": None}},
)
def layout(request: Request, id: str) -> Response:
    customer = portal_customer(request)
    if request.method == "PUT":
        services.replace_layout_tabs(customer, id, tabs=valid(Tabs, request.data)["tabs"])
    else:
        services.delete_layout(customer, id)
    return Response(status=204)


@trader_view(["PUT"], summary="Rename a layout", request=Rename, responses=NO_CONTENT, parameters=LAYOUT_ID,
             account=False)  # fmt: skip
def layout_name(request: Request, id: str) -> Response:
    services.rename_layout(portal_customer(request), id, name=valid(Rename, request.data)["name"])
    return Response(status=204)


@trader_view(
    ["PUT"],
    summary="Reorder layouts",
    description="`layoutOrder` names each of the client's layouts once, in the new order.",
    request=Order,
    responses=NO_CONTENT,
    account=False,
)
def layout_order(request: Request) -> Response:
    services.reorder_layouts(portal_customer(request), valid(Order, request.data)["layoutOrder"])
    return Response(status=204)


@trader_view(["GET"], summary="Layout templates", responses=TemplatesResponse, account=False)
def templates(request: Request) -> Response:
    return Response({"templates": TEMPLATES})
