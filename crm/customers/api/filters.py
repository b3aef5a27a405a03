"""Filters of the back-office client list: every filter of the seed's "Get all customers", in snake_case."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from crm.core.api.filters import IsoDateTimeFilter
from crm.customers.models import ClientGroup, ClientRole, Customer, CustomerQuerySet, SalesStatus
from crm.users.models import User

ACTIVE_DAYS = 30
DEPOSIT_COUNT_PATTERN = re.compile(r"^(\d{1,6})(\+?)$")


class _AnyValueMultipleField(forms.MultipleChoiceField):
    def valid_value(self, value: str) -> bool:
        return True


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class MultipleValueFilter(filters.MultipleChoiceFilter):
    """Repeatable free-text parameter (`?source=google&source=facebook`), matched exactly."""

    field_class = _AnyValueMultipleField


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class NameMultipleFilter(filters.ModelMultipleChoiceFilter):
    """Repeatable parameter naming rows by their `name` (`?group=VIP&group=Islamic`)."""


class DepositCountFilter(filters.CharFilter):
    field_class = forms.RegexField


def agent_choices(request) -> QuerySet[User]:
    """Agents a caller may filter by: every staff member for those who see all clients, otherwise themselves."""
    user = getattr(request, "user", None)
    staff = User.objects.filter(is_staff=True, is_service_account=False)
    if user is None or not user.is_authenticated:
        return staff.none()
    if user.has_perm("customers.view_all_customers"):
        return staff
    return staff.filter(pk=user.pk)


class CustomerOrderingFilter(filters.OrderingFilter):
    """Ordering with the id as tie-breaker, so pages never repeat or skip rows."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs


class CustomerFilterSet(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        help_text=(
            "A number: the client with that id or phones starting with it; `+44...`: a phone prefix; with `@`: an "
            "email prefix; words: an email or last-name prefix, or `first last` name prefixes."
        ),
    )
    country = filters.MultipleChoiceFilter(choices=list(countries), help_text="ISO 3166 country codes.")
    group = NameMultipleFilter(
        queryset=ClientGroup.objects.all(),
        to_field_name="name",
        method="filter_group",
        help_text="Client group names.",
    )
    last_activity_after = IsoDateTimeFilter(field_name="last_activity_at", lookup_expr="gte")
    last_activity_before = IsoDateTimeFilter(field_name="last_activity_at", lookup_expr="lte")
    registered_after = IsoDateTimeFilter(field_name="registered_at", lookup_expr="gte")
    registered_before = IsoDateTimeFilter(field_name="registered_at", lookup_expr="lte")
    status = filters.MultipleChoiceFilter(choices=Customer.Status.choices)
    kyc_status = filters.MultipleChoiceFilter(choices=Customer.KycStatus.choices)
    role = NameMultipleFilter(
        queryset=ClientRole.objects.all(), to_field_name="name", method="filter_role", help_text="Client role names."
    )
    source = MultipleValueFilter(field_name="source", help_text="Sources, matched exactly.")
    deposit_count = DepositCountFilter(
        method="filter_deposit_count",
        regex=DEPOSIT_COUNT_PATTERN,
        error_messages={"invalid": "Use a number, or a number followed by + (e.g. 2+)."},
        help_text="Number of deposits: an exact number (`0`, `1`, `3`) or at least a number with `+` (`2+`).",
    )
    sales_status_id = filters.ModelMultipleChoiceFilter(field_name="sales_status", queryset=SalesStatus.objects.all())
    activity = filters.ChoiceFilter(
        choices=[("active", "Active in the last 30 days"), ("inactive", "No activity in the last 30 days")],
        method="filter_activity",
    )
    positions = filters.ChoiceFilter(
        choices=[("open", "Has open positions"), ("none", "No open positions")], method="filter_positions"
    )
    introducer_id = filters.NumberFilter(field_name="introducer")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    risk_status = filters.MultipleChoiceFilter(choices=Customer.RiskStatus.choices)
    retention_agent_id = filters.ModelMultipleChoiceFilter(field_name="retention_agent", queryset=agent_choices)  # type: ignore[arg-type]  # django-filter takes a callable of the request; its stubs do not
    conversion_agent_id = filters.ModelMultipleChoiceFilter(field_name="conversion_agent", queryset=agent_choices)  # type: ignore[arg-type]  # django-filter takes a callable of the request; its stubs do not
    has_ftd = filters.BooleanFilter(field_name="first_deposit_at", lookup_expr="isnull", exclude=True)
    ordering = CustomerOrderingFilter(fields=["registered_at", "last_activity_at", "last_name", "email", "id"])

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return cast(CustomerQuerySet, queryset).search(value)

    def filter_group(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        through = Customer.groups.through.objects.filter(customer=OuterRef("pk"), clientgroup__in=value)
        return queryset.filter(Exists(through))

    def filter_role(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return cast(CustomerQuerySet, queryset).with_role(*[role.name for role in value])

    def filter_deposit_count(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        match = cast(re.Match[str], DEPOSIT_COUNT_PATTERN.match(value))  # the field's regex has matched it
        number, at_least = int(match.group(1)), bool(match.group(2))
        return queryset.filter(deposit_count__gte=number) if at_least else queryset.filter(deposit_count=number)

    def filter_activity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        since = timezone.now() - dt.timedelta(days=ACTIVE_DAYS)
        if value == "active":
            return queryset.filter(last_activity_at__gte=since)
        return queryset.filter(Q(last_activity_at__lt=since) | Q(last_activity_at__isnull=True))

    def filter_positions(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.filter(open_positions_count__gt=0)
        return queryset.filter(open_positions_count=0)
