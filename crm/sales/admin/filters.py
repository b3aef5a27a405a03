"""Changelist filters for leads: "my leads" by default, and filters on indexed columns only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.contrib.filters.admin import DropdownFilter, TextFilter


class AssignedFilter(admin.SimpleListFilter):
    """Whose leads: the staff member's own by default; unassigned ones; or every visible lead."""

    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("me", _("My leads")), ("unassigned", _("Unassigned")), ("all", _("All leads I can see"))]

    def value(self) -> str:
        return super().value() or "me"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "me":
            return queryset.filter(sales_person=request.user)
        if value == "unassigned":
            return queryset.filter(sales_person__isnull=True)
        return queryset


class SourceFilter(TextFilter):
    title = _("source")
    parameter_name = "source"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        return queryset.filter(source=value) if value else queryset


class FollowUpFilter(DropdownFilter):
    title = _("follow-up")
    parameter_name = "follow_up"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("due", _("Due now")), ("today", _("Due by tonight")), ("set", _("Any follow-up set"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "due":
            return queryset.filter(follow_up_at__lte=now)
        if self.value() == "today":
            return queryset.filter(follow_up_at__lte=now.replace(hour=23, minute=59, second=59))
        if self.value() == "set":
            return queryset.filter(follow_up_at__isnull=False)
        return queryset


class DuplicateFilter(DropdownFilter):
    title = _("duplicates")
    parameter_name = "duplicate"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Flagged as duplicate")), ("no", _("Not a duplicate"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(duplicate_score__gt=0)
        if self.value() == "no":
            return queryset.filter(duplicate_score=0)
        return queryset


class ConvertedFilter(DropdownFilter):
    title = _("converted")
    parameter_name = "converted"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Became a client")), ("no", _("Not a client yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(customer__isnull=False)
        if self.value() == "no":
            return queryset.filter(Q(customer__isnull=True))
        return queryset
