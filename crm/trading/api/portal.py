"""Portal trading API: the client's own orders, positions and deals, and the trading platforms (seed 004 objects).

Fields are 004's Order, Position, Deal and Platform objects in this API's style (snake_case, the enums of the
back office), plus what a portal needs besides (status, type, times, close details). Every list runs a fixed
number of queries: the last quote, the account and its group's trading settings come joined, and conversion
rates are loaded once per page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.trading import selectors
from crm.trading.api.portal_spot import SPOT_FILL_FIELD, spot_fill_of
from crm.trading.api.serializers import BlankAsNullChoiceField
from crm.trading.models import Deal, Order, Position, Quote, Side
from crm.wallets.models import Platform

PRICE_FIELD = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True)
MONEY_FIELD = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)


def _price(value: Decimal | None) -> str | None:
    """A price as the DecimalFields answer it (a string with 10 places)."""
    return None if value is None else str(PRICE_FIELD.to_representation(value))


def _money(value: Decimal) -> str:
    return str(MONEY_FIELD.to_representation(value))


def _quote(instrument: Any) -> Quote | None:
    try:
        quote: Quote = instrument.quote
    except Quote.DoesNotExist:
        return None
    return quote


class PortalOrderSerializer(serializers.ModelSerializer[Order]):
    """An order of one of the client's trading accounts."""

    # Seed 004 Order: accountId, orderId, symbol, side, volume, price, stopLoss, takeProfit, currentPrice, time.

    account_id = serializers.IntegerField(source="account.pk", read_only=True)
    order_id = serializers.IntegerField(source="pk", read_only=True, help_text="The same as `id`.")
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    volume = serializers.DecimalField(source="lots", max_digits=20, decimal_places=8, read_only=True)
    price = serializers.SerializerMethodField(help_text="Fill price once filled; the limit or stop price before.")
    current_price = serializers.SerializerMethodField(
        help_text="The last quote on the side the order fills at: the ask for a buy, the bid for a sell."
    )
    time = serializers.DateTimeField(source="created_at", read_only=True)
    spot_fill = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "account_id", "order_id", "symbol", "side", "type", "status", "volume", "price", "stop_loss",
            "take_profit", "current_price", "time", "filled_at", "expires_at", "position", "spot_fill",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SPOT_FILL_FIELD)
    def get_spot_fill(self, order: Order) -> dict[str, Any] | None:
        return spot_fill_of(order)

    @extend_schema_field(PRICE_FIELD)
    def get_price(self, order: Order) -> str | None:
        return _price(order.fill_price if order.fill_price is not None else order.price)

    @extend_schema_field(PRICE_FIELD)
    def get_current_price(self, order: Order) -> str | None:
        quote = _quote(order.instrument)
        if quote is None:
            return None
        return _price(quote.ask if order.side == Side.BUY else quote.bid)


class PortalPositionSerializer(serializers.ModelSerializer[Position]):
    """A position of one of the client's trading accounts; `profit` floats with the price while it is open."""

    # Seed 004 Position: accountId, positionId, symbol, side, volume, openPrice, currentPrice, stopLoss, takeProfit,
    # swap, profit, time.

    account_id = serializers.IntegerField(source="account.pk", read_only=True)
    position_id = serializers.IntegerField(source="pk", read_only=True, help_text="The same as `id`.")
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    volume = serializers.DecimalField(source="lots", max_digits=20, decimal_places=8, read_only=True)
    current_price = serializers.SerializerMethodField(
        help_text="Where the position closes now: the bid for a buy, the ask for a sell, with the group's markup; "
        "the close price once closed."
    )
    profit = serializers.SerializerMethodField(
        help_text="Floating profit at the current price while open, realised profit once closed (account currency)."
    )
    time = serializers.DateTimeField(source="opened_at", read_only=True)
    close_reason = BlankAsNullChoiceField(
        choices=Position.CloseReason.choices, allow_null=True, read_only=True, help_text="null while open."
    )

    class Meta:
        model = Position
        fields = [
            "id", "account_id", "position_id", "symbol", "side", "status", "volume", "opened_lots", "open_price",
            "current_price", "stop_loss", "take_profit", "swap", "commission", "profit", "time", "closed_at",
            "close_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def _markup(self, position: Position) -> int:
        settings = getattr(position.account.group, "trading_settings", None) if position.account.group else None
        return settings.markup_points if settings is not None else 0

    @extend_schema_field(PRICE_FIELD)
    def get_current_price(self, position: Position) -> str | None:
        if position.status == Position.Status.CLOSED:
            return _price(position.close_price)
        quote = _quote(position.instrument)
        if quote is None:
            return None
        return _price(selectors.close_price_for(position.side, quote, position.instrument, self._markup(position)))

    @extend_schema_field(MONEY_FIELD)
    def get_profit(self, position: Position) -> str | None:
        if position.status == Position.Status.CLOSED:
            return _money(position.profit)
        quote = _quote(position.instrument)
        if quote is None:
            return None
        context = cast(dict[str, Any], self.context)  # the root serializer's dict, shared by the page's rows
        if "rates" not in context:
            context["rates"] = selectors.Rates.load()  # once per page
        rates: selectors.Rates = context["rates"]
        account = position.account
        floating = selectors.floating_profit(
            position, quote=quote, markup_points=self._markup(position), rates=rates, currency=account.currency_id
        )
        return _money(floating.quantize(account.currency.quantum))


class PortalDealSerializer(serializers.ModelSerializer[Deal]):
    """An execution of one of the client's trading accounts: a position opened (in) or closed in full or part (out)."""

    # Seed 004 Deal: accountId, id, symbol, side, entry, price, stopLoss, takeProfit, profit, realProfit, commission,
    # time (and the example's volume).

    account_id = serializers.IntegerField(source="account.pk", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    volume = serializers.DecimalField(source="lots", max_digits=20, decimal_places=8, read_only=True)
    stop_loss = serializers.DecimalField(
        source="position.stop_loss", max_digits=24, decimal_places=10, read_only=True, allow_null=True
    )
    take_profit = serializers.DecimalField(
        source="position.take_profit", max_digits=24, decimal_places=10, read_only=True, allow_null=True
    )
    real_profit = serializers.SerializerMethodField(
        help_text="What the deal moved on the balance: profit less commission, plus the loss the broker bore "
        "under negative balance protection."
    )
    time = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "account_id", "id", "symbol", "side", "entry", "volume", "price", "stop_loss", "take_profit", "profit",
            "real_profit", "commission", "time", "position", "order",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(MONEY_FIELD)
    def get_real_profit(self, deal: Deal) -> str:
        return _money(deal.profit - deal.commission + deal.compensation)


class PortalPlatformSerializer(serializers.ModelSerializer[Platform]):
    """A trading platform accounts can be opened on."""

    # Seed 004 Platform: id, name, caption, type.

    class Meta:
        model = Platform
        fields = ["id", "name", "caption", "type"]
        read_only_fields = fields


class PortalOrderFilterSet(filters.FilterSet):
    account_id = filters.NumberFilter(field_name="account", label=_("Of this trading account"))
    status = filters.MultipleChoiceFilter(choices=Order.Status.choices, label=_("In these statuses"))
    symbol = filters.CharFilter(field_name="instrument__symbol", label=_("Of this symbol"))

    class Meta:
        model = Order
        fields: list[str] = []


class PortalPositionFilterSet(filters.FilterSet):
    account_id = filters.NumberFilter(field_name="account", label=_("Of this trading account"))
    status = filters.MultipleChoiceFilter(choices=Position.Status.choices, label=_("In these statuses"))
    symbol = filters.CharFilter(field_name="instrument__symbol", label=_("Of this symbol"))

    class Meta:
        model = Position
        fields: list[str] = []


class PortalDealFilterSet(filters.FilterSet):
    account_id = filters.NumberFilter(field_name="account", label=_("Of this trading account"))
    position_id = filters.NumberFilter(field_name="position", label=_("Opening or closing this position"))
    symbol = filters.CharFilter(field_name="instrument__symbol", label=_("Of this symbol"))

    class Meta:
        model = Deal
        fields: list[str] = []


class _Mine:
    """The caller's rows only: another client's id answers 404."""

    request: Any

    def mine(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(account__customer=portal_customer(self.request))


@extend_schema_view(
    list=extend_schema(summary="List my orders", description="Orders of my trading accounts, newest first."),
    retrieve=extend_schema(summary="Get one of my orders"),
)
@extend_schema(tags=["portal: trading"])
class PortalOrderViewSet(_Mine, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Order]):
    """The client's orders."""

    serializer_class = PortalOrderSerializer
    filterset_class = PortalOrderFilterSet
    permission_classes = [IsPortalCustomer]
    queryset = Order.objects.none()

    def get_queryset(self) -> QuerySet[Order]:
        rows = Order.objects.select_related("account", "instrument", "instrument__quote", "spot_fill")
        return self.mine(rows).order_by("-created_at", "-pk")


@extend_schema_view(
    list=extend_schema(summary="List my positions", description="Open and closed positions, newest first."),
    retrieve=extend_schema(summary="Get one of my positions"),
)
@extend_schema(tags=["portal: trading"])
class PortalPositionViewSet(
    _Mine, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Position]
):
    """The client's positions, with the floating profit of open ones."""

    serializer_class = PortalPositionSerializer
    filterset_class = PortalPositionFilterSet
    permission_classes = [IsPortalCustomer]
    queryset = Position.objects.none()

    def get_queryset(self) -> QuerySet[Position]:
        rows = Position.objects.select_related(
            "account",
            "account__currency",
            "account__group",
            "account__group__trading_settings",
            "instrument",
            "instrument__quote",
        )
        return self.mine(rows).order_by("-opened_at", "-pk")


@extend_schema_view(
    list=extend_schema(summary="List my deals", description="Executions of my trading accounts, newest first."),
    retrieve=extend_schema(summary="Get one of my deals"),
)
@extend_schema(tags=["portal: trading"])
class PortalDealViewSet(_Mine, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Deal]):
    """The client's deals."""

    serializer_class = PortalDealSerializer
    filterset_class = PortalDealFilterSet
    permission_classes = [IsPortalCustomer]
    queryset = Deal.objects.none()

    def get_queryset(self) -> QuerySet[Deal]:
        rows = Deal.objects.select_related("account", "instrument", "position")
        return self.mine(rows).order_by("-created_at", "-pk")


@extend_schema_view(
    list=extend_schema(summary="List the trading platforms", description="Platforms accounts can be opened on."),
    retrieve=extend_schema(summary="Get a trading platform"),
)
@extend_schema(tags=["portal: trading"])
class PortalPlatformViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Platform]):
    """The enabled trading platforms; the same for every client."""

    serializer_class = PortalPlatformSerializer
    permission_classes = [IsPortalCustomer]
    queryset = Platform.objects.filter(is_enabled=True).order_by("name")
