"""Back-office trading API: instruments, positions (close, stops, exposure), orders (place, cancel), deals."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from crm.core.api.exports import ExportableViewSetMixin
from crm.core.services import record_activity
from crm.trading import selectors, services
from crm.trading.api import serializers as s
from crm.trading.api.filters import DealFilterSet, InstrumentFilterSet, OrderFilterSet, PositionFilterSet
from crm.trading.models import Deal, Instrument, Order, Position
from crm.wallets.api.common import ERRORS, MONEY_ERRORS, ActionPermissions, validated


@extend_schema_view(
    list=extend_schema(summary="List instruments"),
    retrieve=extend_schema(summary="Get an instrument"),
    create=extend_schema(summary="Create an instrument"),
    partial_update=extend_schema(summary="Update an instrument"),
)
@extend_schema(tags=["trading"])
class InstrumentViewSet(
    ExportableViewSetMixin,
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Instrument],
):  # fmt: skip
    """Instruments (symbols): sizes, calc modes, margin, swaps, sessions, and the last quote."""

    queryset = Instrument.objects.for_list().order_by("sort_order", "symbol")
    serializer_class = s.InstrumentSerializer
    filterset_class = InstrumentFilterSet
    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: BaseSerializer[Instrument]) -> None:
        serializer.instance = services.save_instrument(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Instrument]) -> None:
        serializer.instance = services.save_instrument(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(summary="List positions", description="Positions of the clients the caller may see."),
    retrieve=extend_schema(summary="Get a position"),
)
@extend_schema(tags=["trading"])
class PositionViewSet(
    ExportableViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Position]
):
    """Open and closed positions; dealers close them (in full or part) and set their stop loss and take profit."""

    export_permission = "trading.view_exposure"  # the dealing desk's whole book

    serializer_class = s.PositionSerializer
    filterset_class = PositionFilterSet
    permission_classes = [ActionPermissions]
    action_permissions = {
        "close": ("trading.view_position", "trading.close_position"),
        "stops": ("trading.view_position", "trading.close_position"),
        "exposure": ("trading.view_position", "trading.view_exposure"),
        "correct": ("trading.view_position", "trading.correct_position"),
        "corrections": ("trading.view_position",),
    }

    def get_queryset(self) -> QuerySet[Position]:
        return Position.objects.visible_to(self.request.user).for_list().order_by("-opened_at", "-pk")

    @extend_schema(
        summary="Close a position",
        description="Closes `lots` (all by default) at the current price; the profit and commission go through "
        "the ledger. 409 `position_closed` when it is already closed.",
        request=s.PositionCloseSerializer,
        responses={200: s.PositionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.PositionCloseSerializer, request.data)
        position = self.get_object()
        services.close_position(
            position, lots=values.get("lots"), reason=Position.CloseReason.DEALER, actor=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=position.pk)).data)

    @extend_schema(
        summary="Set a position's stop loss and take profit",
        request=s.PositionStopsSerializer,
        responses={200: s.PositionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def stops(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.PositionStopsSerializer, request.data)
        position = services.modify_position(self.get_object(), actor=request.user, **values)
        return Response(self.get_serializer(self.get_queryset().get(pk=position.pk)).data)

    @extend_schema(
        summary="Correct a position's price or commission",
        description="A dealer sets the open price, the close price (closed positions) or the whole commission of a "
        "position, with a reason; the money effect is reversed and posted again through the ledger, and the "
        "correction is recorded (who, when, before, after, reason). 400 `invalid_correction` for an unchanged "
        "value, a close price of an open position or a commission under what the closing deals charged.",
        request=s.PositionCorrectSerializer,
        responses={201: s.PositionCorrectionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.PositionCorrectSerializer, request.data)
        correction = services.correct_position(self.get_object(), actor=request.user, **values)
        return Response(s.PositionCorrectionSerializer(correction).data, status=201)

    @extend_schema(
        summary="Corrections of a position",
        responses={200: s.PositionCorrectionSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def corrections(self, request: Request, pk: str | None = None) -> Response:
        rows = self.get_object().corrections.order_by("created_at", "pk")
        return Response(s.PositionCorrectionSerializer(rows, many=True).data)

    @extend_schema(
        summary="Exposure per symbol",
        description="Open buy, sell and net lots per symbol over the positions the caller may see.",
        responses={200: s.ExposureSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def exposure(self, request: Request) -> Response:
        rows = selectors.exposure_by_symbol(Position.objects.visible_to(request.user))
        return Response(s.ExposureSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List orders"),
    retrieve=extend_schema(summary="Get an order"),
)
@extend_schema(tags=["trading"])
class OrderViewSet(
    ExportableViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Order]
):
    """Orders of the clients the caller may see; dealers place them for an account and cancel pending ones."""

    export_permission = "trading.view_exposure"

    serializer_class = s.OrderSerializer
    filterset_class = OrderFilterSet
    permission_classes = [ActionPermissions]
    action_permissions = {
        "create": ("trading.view_order", "trading.open_position"),
        "cancel": ("trading.view_order", "trading.change_order"),
    }

    def get_queryset(self) -> QuerySet[Order]:
        rows = Order.objects.visible_to(self.request.user).for_list().select_related("spot_fill")
        return rows.order_by("-created_at", "-pk")

    @extend_schema(
        summary="Place an order for an account",
        description="A market order fills at once or is refused (400 `not_enough_margin`, `market_closed`, "
        "`in_downtime`, `invalid_volume`, `invalid_price`, `no_quote`, `trading_not_allowed`); a limit or stop order "
        "waits.",
        request=s.OrderCreateSerializer,
        responses={201: s.OrderSerializer, **MONEY_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        values = validated(s.OrderCreateSerializer, request.data, user=request.user)
        reason = values.pop("reason")
        account = values.pop("account")
        order = services.place_order(account, order_type=values.pop("type"), actor=request.user, **values)
        if reason:
            record_activity(actor=request.user, action="trading.dealer_order", target=order, data={"reason": reason})
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data, status=201)

    @extend_schema(summary="Cancel a pending order", request=None, responses={200: s.OrderSerializer, **MONEY_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = services.cancel_order(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)


@extend_schema_view(list=extend_schema(summary="List deals"), retrieve=extend_schema(summary="Get a deal"))
@extend_schema(tags=["trading"])
class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Deal]):
    """Executions: positions opened (in) and closed in full or part (out), with profit and commission."""

    serializer_class = s.DealSerializer
    filterset_class = DealFilterSet
    permission_classes = [ActionPermissions]

    def get_queryset(self) -> QuerySet[Deal]:
        return Deal.objects.visible_to(self.request.user).for_list().order_by("-created_at", "-pk")
