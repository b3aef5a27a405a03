"""Payments admin: providers, methods with their currencies, groups, whitelisted addresses, webhooks (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from crm.core.admin import ReadOnlyAdminMixin
from crm.payments import services
from crm.payments.models import (
    PaymentMethod,
    PaymentMethodCurrency,
    PaymentMethodGroup,
    PaymentProvider,
    WebhookEvent,
    WhitelistedAddress,
)


@admin.register(PaymentProvider)
class PaymentProviderAdmin(ModelAdmin):
    list_display = ("name", "code", "adapter", "is_enabled", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("is_enabled", "adapter")
    search_fields = ("^code", "^name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return ("code", "adapter") if obj else ()

    def save_model(self, request: HttpRequest, obj: PaymentProvider, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        values = {n: form.cleaned_data[n] for n in services.PROVIDER_FIELDS if n in form.cleaned_data}
        services.update_provider(obj, actor=request.user, **values)


class PaymentMethodCurrencyInline(TabularInline):
    model = PaymentMethodCurrency
    extra = 0


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ModelAdmin):
    list_display = ("name", "provider", "direction", "fee_percent", "fee_fixed", "sort_order", "is_enabled")
    list_filter = ("direction", "provider", "is_enabled")
    list_select_related = ("provider",)
    search_fields = ("^name",)
    filter_horizontal = ("groups",)
    inlines = [PaymentMethodCurrencyInline]


@admin.register(PaymentMethodGroup)
class PaymentMethodGroupAdmin(ModelAdmin):
    list_display = ("name", "caption", "direction")
    list_filter = ("direction",)


@admin.register(WhitelistedAddress)
class WhitelistedAddressAdmin(ModelAdmin):
    list_display = ("wallet_address", "destination_tag", "currency", "customer", "is_enabled", "created_at")
    list_filter = ("currency", "is_enabled")
    list_select_related = ("customer", "currency")
    search_fields = ("^wallet_address", "^customer__email")
    autocomplete_fields = ("customer",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).visible_to(request.user)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "provider", "event_id", "event_type", "signature", "status", "received_at", "processed_at")
    list_filter = ("provider", "status", "signature_valid")
    list_select_related = ("provider",)
    search_fields = ("=event_id",)
    show_full_result_count = False

    @display(description="Signature", label={True: "success", False: "danger"})
    def signature(self, obj: WebhookEvent) -> tuple[bool, str]:
        return obj.signature_valid, "valid" if obj.signature_valid else "forged"
