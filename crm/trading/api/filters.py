"""Filters of the trading lists (000 Orders and Positions filters: account, client, symbol, side, status, dates)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from crm.core.api.filters import IsoDateTimeFilter
from crm.trading.models import Deal, Instrument, Order, Position, Side


class PositionFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Position.Status.choices)
    side = filters.ChoiceFilter(choices=Side.choices)
    close_reason = filters.MultipleChoiceFilter(choices=Position.CloseReason.choices)
    symbol = filters.CharFilter(field_name="instrument__symbol")
    account_id = filters.NumberFilter(field_name="account")
    customer_id = filters.NumberFilter(field_name="account__customer")
    is_demo = filters.BooleanFilter(field_name="account__is_demo")
    opened_after = IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    closed_after = IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")

    class Meta:
        model = Position
        fields: list[str] = []


class OrderFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Order.Status.choices)
    type = filters.MultipleChoiceFilter(choices=Order.Type.choices)
    side = filters.ChoiceFilter(choices=Side.choices)
    symbol = filters.CharFilter(field_name="instrument__symbol")
    account_id = filters.NumberFilter(field_name="account")
    customer_id = filters.NumberFilter(field_name="account__customer")
    position_id = filters.NumberFilter(field_name="position")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields: list[str] = []


class DealFilterSet(filters.FilterSet):
    entry = filters.ChoiceFilter(choices=Deal.Entry.choices)
    symbol = filters.CharFilter(field_name="instrument__symbol")
    account_id = filters.NumberFilter(field_name="account")
    position_id = filters.NumberFilter(field_name="position")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Deal
        fields: list[str] = []


class InstrumentFilterSet(filters.FilterSet):
    search = filters.CharFilter(field_name="symbol", lookup_expr="istartswith", label="Symbol starts with")
    category = filters.MultipleChoiceFilter(choices=Instrument.Category.choices)
    market_type = filters.ChoiceFilter(choices=Instrument.MarketType.choices)
    is_enabled = filters.BooleanFilter()

    class Meta:
        model = Instrument
        fields: list[str] = []
