"""Configuration tables of the clients domain: countries, client types, verification levels, statuses, groups."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from crm.core.admin_filters import keep_choices_of
from crm.customers import services
from crm.customers.admin.helpers import colour_badge, colour_swatch
from crm.customers.models import (
    ClientGroup,
    ClientRole,
    ClientType,
    Country,
    SalesStatus,
    VerificationLevel,
    VerificationLimit,
    country_value,
)
from crm.users.models import User


@admin.register(Country)
class CountryAdmin(ModelAdmin):
    list_display = ("country_name", "code", "enabled")
    list_filter = ("is_enabled",)
    search_fields = ("code",)
    actions = ["enable_selected", "disable_selected"]

    @display(description=_("Country"))
    def country_name(self, obj: Country) -> str:
        return country_value(obj.code).name

    @display(description=_("Enabled"), label={True: "success", False: "danger"})
    def enabled(self, obj: Country) -> tuple[bool, StrOrPromise]:
        return obj.is_enabled, _("Enabled") if obj.is_enabled else _("Disabled")

    def _switch(self, request: HttpRequest, queryset: QuerySet, *, enabled: bool) -> None:
        codes = services.set_countries_enabled(
            queryset.values_list("code", flat=True), enabled=enabled, actor=cast(User, request.user)
        )
        self.message_user(request, _("%(count)d country(ies) changed.") % {"count": len(codes)}, messages.SUCCESS)

    @admin.action(description=_("Enable selected countries"), permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, enabled=True)

    @admin.action(description=_("Disable selected countries"), permissions=["change"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, enabled=False)


@admin.register(ClientType)
class ClientTypeAdmin(ModelAdmin):
    list_display = ("name", "group", "is_default", "is_enabled", "has_wizard")
    list_filter = ("group", "is_enabled")
    search_fields = ("name",)


class VerificationLimitInline(TabularInline):
    model = VerificationLimit
    extra = 0
    fields = (
        "currency",
        "daily_deposit",
        "daily_withdrawal",
        "monthly_withdrawal",
        "daily_internal_transfer",
        "auto_withdrawal",
        "transfer_min",
    )


@admin.register(VerificationLevel)
class VerificationLevelAdmin(ModelAdmin):
    list_display = ("name", "rank", "next_level", "is_default", "is_visible", "operations")
    list_select_related = ("next_level",)
    search_fields = ("name",)
    inlines = (VerificationLimitInline,)

    @display(description=_("Allowed operations"))
    def operations(self, obj: VerificationLevel) -> str:
        labels = dict(VerificationLevel.Operation.choices)
        return ", ".join(str(labels.get(op, op)) for op in obj.allowed_operations) or "-"


keep_choices_of(SalesStatus, ClientGroup, ClientRole)  # the clients' and leads' filters over them


@admin.register(SalesStatus)
class SalesStatusAdmin(ModelAdmin):
    list_display = ("badge", "swatch", "sort_order")
    list_editable = ("sort_order",)
    list_display_links = ("badge",)
    search_fields = ("name",)

    @display(description=_("Name"), ordering="name")
    def badge(self, obj: SalesStatus) -> str:
        return colour_badge(obj.name, obj.color)

    @display(description=_("Colour"))
    def swatch(self, obj: SalesStatus) -> str:
        return colour_swatch(obj.color)


@admin.register(ClientGroup)
class ClientGroupAdmin(ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(ClientRole)
class ClientRoleAdmin(ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
