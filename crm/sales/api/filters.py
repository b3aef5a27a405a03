"""Filters of the lead list (000 "FetchLeadFilters" / "Bulk edit leads"), every one an index-friendly lookup."""

from __future__ import annotations

from typing import cast

import django_filters as filters
from django.db.models import QuerySet
from django_countries import countries

from crm.core.api.filters import IsoDateTimeFilter
from crm.customers.api.filters import MultipleValueFilter
from crm.customers.models import SalesStatus
from crm.sales.models import Lead, LeadQuerySet
from crm.users.models import Desk, User


def sales_people(request) -> QuerySet[User]:
    """Staff a caller may filter by: everyone for those who see all leads, otherwise themselves."""
    user = getattr(request, "user", None)
    staff = User.objects.filter(is_staff=True, is_service_account=False)
    if user is None or not user.is_authenticated:
        return staff.none()
    if user.has_perm("sales.view_all_leads") or user.managed_desks.exists():
        return staff
    return staff.filter(pk=user.pk)


class LeadOrderingFilter(filters.OrderingFilter):
    """Ordering with the id as tie-breaker, so pages never repeat or skip rows."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs


class LeadFilterSet(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        help_text="An id, an email prefix, a phone prefix (`+44...`), a last-name prefix or `first last` prefixes.",
    )
    sales_status_id = filters.ModelMultipleChoiceFilter(field_name="sales_status", queryset=SalesStatus.objects.all())
    sales_person_id = filters.ModelMultipleChoiceFilter(field_name="sales_person", queryset=sales_people)  # type: ignore[arg-type]  # django-filter takes a callable of the request; its stubs do not
    unassigned = filters.BooleanFilter(field_name="sales_person", lookup_expr="isnull", help_text="No sales person.")
    only_assigned_to_me = filters.BooleanFilter(method="filter_mine", help_text="Only leads assigned to the caller.")
    desk_id = filters.ModelMultipleChoiceFilter(field_name="desk", queryset=Desk.objects.all())
    source = MultipleValueFilter(field_name="source", help_text="Sources, matched exactly.")
    campaign = filters.CharFilter(field_name="campaign")
    country = filters.MultipleChoiceFilter(choices=list(countries), help_text="ISO 3166-1 alpha-2 codes.")
    language = filters.CharFilter(field_name="language")
    modified_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    modified_before = IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    follow_up_before = IsoDateTimeFilter(field_name="follow_up_at", lookup_expr="lte")
    is_duplicate = filters.BooleanFilter(method="filter_duplicate")
    converted = filters.BooleanFilter(field_name="customer", lookup_expr="isnull", exclude=True)
    customer_id = filters.NumberFilter(field_name="customer")
    ordering = LeadOrderingFilter(fields=["created_at", "updated_at", "last_contact_at", "follow_up_at", "last_name"])

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return cast(LeadQuerySet, queryset).search(value)

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(sales_person=self.request.user) if value else queryset  # type: ignore[union-attr]  # the API always passes its request

    def filter_duplicate(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(duplicate_score__gt=0) if value else queryset.filter(duplicate_score=0)
