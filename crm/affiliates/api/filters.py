"""Filters of the affiliate API: referrals as in 000 "AffiliateGetCustomers", ledger and payout statuses."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.drainage import set_override
from rest_framework.exceptions import ValidationError

from crm.affiliates.models import CommissionLedger, PayoutRequest
from crm.core.api.filters import IsoDateTimeFilter
from crm.customers.models import Customer

# `order_by=<column>|ASC` or `|DESC` (000 "example name|ASC"): the columns and the fields they sort by.
ORDER_COLUMNS = {
    "id": ("pk",),
    "name": ("first_name", "last_name", "pk"),
    "last_name": ("last_name", "first_name", "pk"),
    "email": ("email", "pk"),
    "country": ("country", "pk"),
    "source": ("source", "pk"),
    "registered_at": ("registered_at", "pk"),
    "updated_at": ("updated_at", "pk"),
    "first_deposit_at": ("first_deposit_at", "pk"),
}


class AnyStringsField(forms.MultipleChoiceField):
    """A repeated query parameter (`sources=FB&sources=Google`) taking any strings."""

    def valid_value(self, value) -> bool:
        return len(str(value)) <= 100


class StringsFilter(filters.MultipleChoiceFilter):
    """Any strings, repeated; the schema shows a list of strings described by the filter's label."""

    field_class = AnyStringsField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "description": str(self.label or "")})


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def parse_order(value: str) -> list[str]:
    """`name|ASC` -> ["first_name", "last_name", "pk"]; an unknown column or direction is a 400."""
    column, _unused, direction = (value or "").partition("|")
    column, direction = column.strip(), (direction.strip() or "ASC").upper()
    if column not in ORDER_COLUMNS or direction not in ("ASC", "DESC"):
        raise ValidationError(
            {
                "order_by": [
                    _("Use <column>|ASC or <column>|DESC with a column of: %(ORDER_COLUMNS)s.")
                    % {"ORDER_COLUMNS": ", ".join(ORDER_COLUMNS)}
                ]
            }
        )
    prefix = "-" if direction == "DESC" else ""
    return [f"{prefix}{field}" for field in ORDER_COLUMNS[column]]


class ReferralFilterSet(filters.FilterSet):
    """000 AffiliateGetCustomers: search, external id, updated since/to (dates, both included), sources, order."""

    search = filters.CharFilter(method="filter_search", label=_("Name, email prefix or client id"))
    external_id = filters.CharFilter(field_name="external_id", label=_("Your system's id of the client"))
    updated_since = filters.DateFilter(method="filter_updated_since", label=_("Updated on or after (e.g. 2023-09-13)"))
    updated_to = filters.DateFilter(method="filter_updated_to", label=_("Updated on or before (e.g. 2023-09-13)"))
    sources = StringsFilter(field_name="source", label=_("Sources, repeated: sources=FB&sources=Google"))
    status = filters.MultipleChoiceFilter(choices=Customer.Status.choices)
    has_ftd = filters.BooleanFilter(
        field_name="first_deposit_at", lookup_expr="isnull", exclude=True, label=_("Made a first deposit (or not)")
    )
    registered_after = IsoDateTimeFilter(
        field_name="registered_at", lookup_expr="gte", label=_("Registered at or after (ISO 8601)")
    )
    registered_before = IsoDateTimeFilter(field_name="registered_at", lookup_expr="lt", label=_("Registered before"))
    order_by = filters.CharFilter(method="filter_order_by", label=_("<column>|ASC or |DESC, e.g. name|ASC"))

    class Meta:
        model = Customer
        fields = ["country"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=_start_of(value))

    def filter_updated_to(self, queryset, name, value):
        return queryset.filter(updated_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_order_by(self, queryset, name, value):
        return queryset.order_by(*parse_order(value))


class CommissionRecordFilterSet(filters.FilterSet):
    statuses = filters.MultipleChoiceFilter(field_name="status", choices=CommissionLedger.Status.choices)
    commission_type = filters.MultipleChoiceFilter(choices=CommissionLedger.CommissionType.choices)
    action_type = filters.MultipleChoiceFilter(choices=CommissionLedger.ActionType.choices)
    referral_id = filters.NumberFilter(field_name="referral", label=_("Client id of the referral"))
    action_after = IsoDateTimeFilter(
        field_name="action_timestamp", lookup_expr="gte", label=_("Action at or after (ISO 8601)")
    )
    action_before = IsoDateTimeFilter(field_name="action_timestamp", lookup_expr="lt", label=_("Action before"))
    level = filters.NumberFilter(label=_("Level in your tree: 1 for your own referrals, 2 for a sub-IB's..."))

    class Meta:
        model = CommissionLedger
        fields = ["level"]


class PayoutRequestFilterSet(filters.FilterSet):
    statuses = filters.MultipleChoiceFilter(field_name="status", choices=PayoutRequest.Status.choices)
    requested_after = IsoDateTimeFilter(
        field_name="requested_at", lookup_expr="gte", label=_("Requested at or after (ISO 8601)")
    )
    requested_before = IsoDateTimeFilter(field_name="requested_at", lookup_expr="lt", label=_("Requested before"))
    is_automatic = filters.BooleanFilter(label=_("Made by the automatic payout run (or by you)"))

    class Meta:
        model = PayoutRequest
        fields = ["is_automatic"]
