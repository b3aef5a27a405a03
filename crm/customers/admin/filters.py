"""Changelist filters for clients: every filter of "Get all customers", none of them loading a big table.

Choices come from model choices or small configuration tables; people (agents, introducers) are
picked by autocomplete; many-to-many filters use EXISTS so the list never needs DISTINCT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, ManyToManyField, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.contrib.filters.admin import DropdownFilter, RangeDateFilter, TextFilter

from crm.core.admin_filters import kept_choices
from crm.customers.models import Bookmark, ClientGroup, ClientRole, Customer
from crm.users.requests import staff_user


class DayRangeFilter(RangeDateFilter):
    """From/to dates over a datetime column, whole days in the site's time zone, index-friendly (no casts)."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        start = self._day(self.used_parameters.get(f"{self.parameter_name}_from"))
        end = self._day(self.used_parameters.get(f"{self.parameter_name}_to"))
        if start is not None:
            queryset = queryset.filter(**{f"{self.parameter_name}__gte": start})
        if end is not None:
            queryset = queryset.filter(**{f"{self.parameter_name}__lt": end + dt.timedelta(days=1)})
        return queryset

    @staticmethod
    def _day(value: Any) -> dt.datetime | None:
        if value in EMPTY_VALUES or not isinstance(value, str):
            return None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"):
            try:
                day = dt.datetime.strptime(value.strip(), pattern).date()  # noqa: DTZ007 (a date, made aware below)
            except ValueError:
                continue
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return None


class _ChoiceFilter(DropdownFilter):
    """A dropdown whose options map to fixed conditions."""

    conditions: dict[str, tuple[StrOrPromise, Callable[[], Q]]] = {}

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [(key, label) for key, (label, _condition) in self.conditions.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        entry = self.conditions.get(self.value() or "")
        return queryset.filter(entry[1]()) if entry else queryset


class HasFtdFilter(_ChoiceFilter):
    title = _("first-time deposit")
    parameter_name = "has_ftd"
    conditions = {
        "yes": (_("Has deposited"), lambda: Q(first_deposit_at__isnull=False)),
        "no": (_("Never deposited"), lambda: Q(first_deposit_at__isnull=True)),
    }


class DepositCountFilter(_ChoiceFilter):
    title = _("deposits")
    parameter_name = "deposits"
    conditions = {
        "0": (_("None"), lambda: Q(deposit_count=0)),
        "1": (_("1"), lambda: Q(deposit_count=1)),
        "2-4": (_("2 to 4"), lambda: Q(deposit_count__gte=2, deposit_count__lte=4)),
        "5-9": (_("5 to 9"), lambda: Q(deposit_count__gte=5, deposit_count__lte=9)),
        "10+": (_("10 or more"), lambda: Q(deposit_count__gte=10)),
    }


def _active_within(days: int) -> Q:
    return Q(last_activity_at__gte=timezone.now() - dt.timedelta(days=days))


class ActivityFilter(_ChoiceFilter):
    title = _("activity")
    parameter_name = "activity"
    conditions = {
        "today": (_("Active in the last 24 hours"), lambda: _active_within(1)),
        "7d": (_("Active in the last 7 days"), lambda: _active_within(7)),
        "30d": (_("Active in the last 30 days"), lambda: _active_within(30)),
        "idle30": (
            _("Inactive for 30 days or more"),
            lambda: Q(last_activity_at__lt=timezone.now() - dt.timedelta(days=30)),
        ),
        "never": (_("Never active"), lambda: Q(last_activity_at__isnull=True)),
    }


class OpenPositionsFilter(_ChoiceFilter):
    title = _("open positions")
    parameter_name = "open_positions"
    conditions = {
        "yes": (_("With open positions"), lambda: Q(open_positions_count__gt=0)),
        "no": (_("Without open positions"), lambda: Q(open_positions_count=0)),
    }


class _RelatedExistsFilter(DropdownFilter):
    """Clients linked to one row of a small many-to-many table, with EXISTS (no join, no DISTINCT)."""

    related_model: Any
    through_field: str

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return kept_choices(
            self.related_model,
            ("pk and name",),
            lambda: [(str(pk), name) for pk, name in self.related_model.objects.values_list("pk", "name")],
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value or not str(value).isdigit():
            return queryset
        through: Any = cast(ManyToManyField, Customer._meta.get_field(self.through_field)).remote_field.through
        target = f"{self.related_model._meta.model_name}_id"
        return queryset.filter(Exists(through.objects.filter(customer=OuterRef("pk"), **{target: int(value)})))


class ClientGroupFilter(_RelatedExistsFilter):
    title = _("client group")
    parameter_name = "group"
    related_model = ClientGroup
    through_field = "groups"


class ClientRoleFilter(_RelatedExistsFilter):
    title = _("role")
    parameter_name = "role"
    related_model = ClientRole
    through_field = "roles"


class SourceFilter(TextFilter):
    """Exact source (an indexed column), as sign-up forms and affiliates send it."""

    title = _("source")
    parameter_name = "source"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        return queryset.filter(source=value) if value else queryset


class BookmarkedFilter(_ChoiceFilter):
    title = _("bookmarks")
    parameter_name = "bookmarked"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("me", _("My bookmarks"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "me":
            return queryset
        return queryset.filter(Exists(Bookmark.objects.filter(customer=OuterRef("pk"), user=staff_user(request))))
