"""The trading configuration in the admin: assets, market groups and categories, commission profiles with their
rules, perpetual funding rates, downtimes, position durations, max risks and platform adapters (credentials
write-only).

Imported by `crm.trading.admin`; every save goes through `crm.trading.services`.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from crm.trading import services
from crm.trading.models import (
    Asset,
    CommissionProfile,
    CommissionRule,
    Downtime,
    FundingRate,
    MarketCategory,
    MarketGroup,
    MaxRisk,
    PlatformAdapter,
    PositionDuration,
)


class ServiceSavedAdmin(ModelAdmin[Any]):
    """Saves through `services.save_config` (validated, logged); many-to-many fields set in the same call."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        many = {field.name for field in obj._meta.many_to_many}
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        related = {name: values.pop(name) for name in list(values) if name in many}
        services.save_config(obj, actor=request.user, related=related, **values)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        services.delete_config(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            services.delete_config(obj, actor=request.user)


@admin.register(Asset)
class AssetAdmin(ServiceSavedAdmin):
    list_display = ("code", "name", "scale", "type", "source")
    list_filter = ("type", "source")
    search_fields = ("^code", "name")
    readonly_fields = ("source",)


@admin.register(MarketGroup)
class MarketGroupAdmin(ServiceSavedAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


@admin.register(MarketCategory)
class MarketCategoryAdmin(ServiceSavedAdmin):
    list_display = ("name", "parent", "position")
    list_select_related = ("parent",)
    search_fields = ("name",)
    autocomplete_fields = ("parent", "instruments")


class CommissionRuleInline(TabularInline[CommissionRule, CommissionProfile]):
    model = CommissionRule
    extra = 0
    autocomplete_fields = ("instrument", "market_group")
    fields = (
        "priority", "instrument", "market_group", "spot_fee_type", "spot_fee_size", "cfd_fee_asset", "cfd_fee_type",
        "cfd_fee_size", "min_fee",
    )  # fmt: skip
    readonly_fields = ("priority",)


@admin.register(CommissionProfile)
class CommissionProfileAdmin(ServiceSavedAdmin):
    """A profile with its rules; new rules go last, an emptied row is deleted and the priorities close up."""

    list_display = ("name", "description")
    search_fields = ("name",)
    inlines = (CommissionRuleInline,)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for rule in formset.deleted_objects:
            services.delete_rule(rule, actor=request.user)
        fields = [name for name in CommissionRuleInline.fields if name != "priority"]
        for rule in instances:
            values = {name: getattr(rule, name) for name in fields}
            if rule.pk is None:
                services.create_rule(form.instance, actor=request.user, **values)
            else:
                services.update_rule(rule, actor=request.user, **values)


@admin.register(Downtime)
class DowntimeAdmin(ServiceSavedAdmin):
    list_display = ("title", "starts_at", "ends_at")
    search_fields = ("title",)
    autocomplete_fields = ("instruments",)
    date_hierarchy = "starts_at"


@admin.register(PositionDuration)
class PositionDurationAdmin(ServiceSavedAdmin):
    list_display = ("seconds", "is_default")

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        obj = cast(PositionDuration, obj)
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        services.save_position_duration(obj, actor=request.user, **values)


@admin.register(MaxRisk)
class MaxRiskAdmin(ServiceSavedAdmin):
    list_display = ("amount", "is_default")

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        obj = cast(MaxRisk, obj)
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        services.save_max_risk(obj, actor=request.user, **values)


class PlatformAdapterForm(forms.ModelForm[PlatformAdapter]):
    new_secrets = forms.CharField(
        label=_("New credentials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('A JSON object, e.g. {"password": "..."}; replaces the stored ones. Left empty: unchanged.'),
    )

    class Meta:
        model = PlatformAdapter
        fields = ("name", "is_enabled", "type", "configuration")

    def clean_new_secrets(self) -> dict[str, str] | None:
        raw = self.cleaned_data.get("new_secrets", "").strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(_("An object of names and text values."))
        return value


@admin.register(PlatformAdapter)
class PlatformAdapterAdmin(ServiceSavedAdmin):
    form = PlatformAdapterForm
    list_display = ("name", "type", "is_enabled", "secret_names", "synced_until")
    list_filter = ("type", "is_enabled")
    search_fields = ("^name",)
    readonly_fields = ("secret_names", "synced_until")

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        obj = cast(PlatformAdapter, obj)
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in PlatformAdapterForm.Meta.fields
        }
        services.save_adapter(obj, actor=request.user, secrets=form.cleaned_data.get("new_secrets"), **values)


@admin.register(FundingRate)
class FundingRateAdmin(ServiceSavedAdmin):
    """Perpetual funding rates by moment; the funding task charges open positions at the rate in force."""

    list_display = ("instrument", "applied_at", "interval_hours", "rate")
    list_filter = ("instrument",)
    list_select_related = ("instrument",)
    date_hierarchy = "applied_at"
