"""Filters of the trading lists (000 Orders and Positions filters: account, client, symbol, side, status, dates)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from crm.core.api.filters import IsoDateTimeFilter
from crm.trading.models import Deal, Instrument, Order, Position, Side


def search_trades(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    """000's `search`: a symbol or account number prefix, a client's email prefix, or an id."""
    value = value.strip()
    if not value:
        return queryset
    found = (
        Q(instrument__symbol__istartswith=value)
        | Q(account__number__istartswith=value)
        | Q(account__customer__email__istartswith=value)
    )
    if value.isdigit() and len(value) < 19:
        found |= Q(pk=int(value))
    return queryset.filter(found)


SEARCH_HELP = "Symbol, account number or client email starting with this, or the id."


class PositionFilterSet(filters.FilterSet):
    search = filters.CharFilter(method=search_trades, label=SEARCH_HELP)
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
    search = filters.CharFilter(method=search_trades, label=SEARCH_HELP)
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
