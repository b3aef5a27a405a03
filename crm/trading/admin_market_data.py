"""Read-only admin pages of what the platform writes by itself: candles (market data), clients' price alerts and
the trader notifications raised for their accounts (scoped like the clients' wallets).

Imported by `crm.trading.admin`.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from crm.core.admin import ReadOnlyAdminMixin
from crm.trading.models import Candle, PriceAlert, TraderNotification


@admin.register(Candle)
class CandleAdmin(ReadOnlyAdminMixin, ModelAdmin[Candle]):
    list_display = ("instrument", "interval", "start", "open", "high", "low", "close", "ticks")
    list_filter = ("interval", "instrument")
    list_select_related = ("instrument",)
    search_fields = ("^instrument__symbol",)
    ordering = ("-start", "-pk")
    show_full_result_count = False


@admin.register(PriceAlert)
class PriceAlertAdmin(ReadOnlyAdminMixin, ModelAdmin[PriceAlert]):
    list_display = ("id", "account", "instrument", "condition", "price", "is_active", "triggered_at", "created_at")
    list_filter = ("is_active", "condition", "instrument")
    list_select_related = ("account", "instrument")
    search_fields = ("^account__number", "^instrument__symbol")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceAlert]:
        return PriceAlert.objects.visible_to(request.user).select_related("account", "instrument")


@admin.register(TraderNotification)
class TraderNotificationAdmin(ReadOnlyAdminMixin, ModelAdmin[TraderNotification]):
    list_display = ("id", "account", "type", "is_read", "created_at")
    list_filter = ("type", "is_read")
    list_select_related = ("account",)
    search_fields = ("^account__number",)
    show_full_result_count = False
    fields = ("account", "type", "data", "is_read", "key", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TraderNotification]:
        return TraderNotification.objects.visible_to(request.user).select_related("account")
