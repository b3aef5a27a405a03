"""Back-office trading API shapes: read serializers per model, input serializers per action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.core.money import DecimalPlaces
from crm.trading.api.portal_spot import SPOT_FILL_FIELD, spot_fill_of
from crm.trading.models import Deal, Instrument, Order, Position, PositionCorrection, Side
from crm.wallets.models import Wallet


class PositiveDecimal(DecimalPlaces):
    """The precision of an input decimal that must be above zero."""

    min_value: Decimal


VOLUME: PositiveDecimal = {"max_digits": 20, "decimal_places": 8, "min_value": Decimal("0.00000001")}
PRICE: PositiveDecimal = {"max_digits": 24, "decimal_places": 10, "min_value": Decimal("0.0000000001")}


def sessions_field(**kwargs: Any) -> serializers.DictField:
    """Trading hours per weekday (`mon` ... `sun`), each a list of `["HH:MM", "HH:MM"]` in UTC."""
    session = serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2)
    return serializers.DictField(
        child=serializers.ListField(child=session),
        required=False,
        help_text='e.g. {"mon": [["00:00", "24:00"]]}; empty: always open.',
        **kwargs,
    )


class InstrumentSerializer(serializers.ModelSerializer[Instrument]):
    sessions = sessions_field()
    bid = serializers.DecimalField(
        source="quote.bid", max_digits=24, decimal_places=10, read_only=True, allow_null=True
    )
    ask = serializers.DecimalField(
        source="quote.ask", max_digits=24, decimal_places=10, read_only=True, allow_null=True
    )
    quote_time = serializers.DateTimeField(source="quote.time", read_only=True, allow_null=True)

    class Meta:
        model = Instrument
        fields = [
            "id", "symbol", "description", "category", "market_type", "margin_currency", "profit_currency", "digits",
            "contract_size", "profit_calc_mode", "margin_calc_mode", "tick_size", "tick_value", "initial_margin",
            "maintenance_margin", "hedged_margin", "margin_rate_long", "margin_rate_short", "max_leverage", "min_lot",
            "max_lot", "lot_step", "price_deviation", "swap_mode", "swap_long", "swap_short", "swap_triple_day",
            "funding_interval_hours", "sessions", "base_asset", "quote_asset", "market_group", "amount_scale",
            "slippage_rate", "is_const_leverage", "min_quote_amount", "is_synchronized", "external_ttl",
            "internal_ttl", "sort_order", "is_enabled", "bid", "ask", "quote_time",
        ]  # fmt: skip
        read_only_fields = ["id"]


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice stored blank until it happens (a position's close reason), answered as null meanwhile."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


class PositionSerializer(serializers.ModelSerializer[Position]):
    close_reason = BlankAsNullChoiceField(
        choices=Position.CloseReason.choices, allow_null=True, read_only=True, help_text="null while open."
    )
    account_number = serializers.CharField(source="account.number", read_only=True)
    customer = serializers.IntegerField(source="account.customer_id", read_only=True, allow_null=True)
    currency = serializers.CharField(source="account.currency_id", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Position
        fields = [
            "id", "account", "account_number", "customer", "currency", "instrument", "symbol", "side", "status",
            "lots", "opened_lots", "open_price", "opened_at", "stop_loss", "take_profit", "close_price", "closed_at",
            "close_reason", "profit", "commission", "swap",
        ]  # fmt: skip
        read_only_fields = fields


class PositionCloseSerializer(serializers.Serializer[Any]):
    lots = serializers.DecimalField(**VOLUME, required=False, help_text="Volume to close; all of it by default.")


class PositionStopsSerializer(serializers.Serializer[Any]):
    stop_loss = serializers.DecimalField(**PRICE, allow_null=True, help_text="null removes the stop loss.")
    take_profit = serializers.DecimalField(**PRICE, allow_null=True, help_text="null removes the take profit.")


class PositionCorrectionSerializer(serializers.ModelSerializer[PositionCorrection]):
    class Meta:
        model = PositionCorrection
        fields = ["id", "position", "field", "before", "after", "balance_change", "reason", "created_by", "created_at"]
        read_only_fields = fields


class PositionCorrectSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=PositionCorrection.Field.choices)
    value = serializers.DecimalField(**PRICE, help_text="The corrected price, or the position's whole commission.")
    reason = serializers.CharField(max_length=500)


class OrderSerializer(serializers.ModelSerializer[Order]):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    account_number = serializers.CharField(source="account.number", read_only=True)
    spot_fill = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "account", "account_number", "instrument", "symbol", "side", "type", "status", "time_in_force",
            "expires_at", "lots", "price", "stop_loss", "take_profit", "fill_price", "filled_at", "position",
            "reject_reason", "created_at", "spot_fill",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SPOT_FILL_FIELD)
    def get_spot_fill(self, order: Order) -> dict[str, Any] | None:
        return spot_fill_of(order)


class OrderCreateSerializer(serializers.Serializer[Any]):
    """A dealer's order for a client's account: market (fills now) or limit/stop (waits for its price)."""

    account = serializers.PrimaryKeyRelatedField(queryset=Wallet.objects.none())
    instrument = serializers.SlugRelatedField(slug_field="symbol", queryset=Instrument.objects.all())
    side = serializers.ChoiceField(choices=Side.choices)
    type = serializers.ChoiceField(choices=Order.Type.choices, default=Order.Type.MARKET)
    lots = serializers.DecimalField(**VOLUME)
    price = serializers.DecimalField(**PRICE, required=False, allow_null=True, default=None)
    stop_loss = serializers.DecimalField(**PRICE, required=False, allow_null=True, default=None)
    take_profit = serializers.DecimalField(**PRICE, required=False, allow_null=True, default=None)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Wallet.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            type__in=(Wallet.Type.TRADE, Wallet.Type.DEMO)
        )


class DealSerializer(serializers.ModelSerializer[Deal]):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id", "account", "instrument", "symbol", "position", "order", "side", "entry", "lots", "price", "profit",
            "commission", "compensation", "comment", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExposureSerializer(serializers.Serializer[Any]):
    symbol = serializers.CharField(source="instrument__symbol")
    buy_lots = serializers.DecimalField(max_digits=28, decimal_places=8)
    sell_lots = serializers.DecimalField(max_digits=28, decimal_places=8)
    net_lots = serializers.DecimalField(max_digits=28, decimal_places=8)
    positions = serializers.IntegerField()
    accounts = serializers.IntegerField()
