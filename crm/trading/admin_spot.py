"""Spot trading on the dealing desk: the fills of spot orders and the assets accounts hold (read-only, scoped
like the clients' wallets). Orders of spot markets are in the orders list (filter by market type)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from crm.core.admin import ReadOnlyAdminMixin
from crm.trading.models import SpotFill, SpotHolding


@admin.register(SpotFill)
class SpotFillAdmin(ReadOnlyAdminMixin, ModelAdmin[SpotFill]):
    list_display = (
        "id", "account", "instrument", "side", "base_amount", "base_currency", "quote_amount", "quote_currency",
        "price", "fee", "order", "created_at",
    )  # fmt: skip
    list_filter = ("side", "instrument", "base_currency", "quote_currency")
    list_select_related = ("account", "instrument", "order", "base_currency", "quote_currency")
    search_fields = ("=id", "=order__id", "^account__number")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SpotFill]:
        return SpotFill.objects.visible_to(request.user).for_list().select_related("base_currency", "quote_currency")


@admin.register(SpotHolding)
class SpotHoldingAdmin(ReadOnlyAdminMixin, ModelAdmin[SpotHolding]):
    list_display = ("account", "currency", "balance", "on_hold", "wallet", "created_at")
    list_filter = ("currency",)
    list_select_related = ("account", "wallet", "currency")
    search_fields = ("^account__number", "^wallet__number")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SpotHolding]:
        return SpotHolding.objects.visible_to(request.user).for_list().select_related("currency")

    @admin.display(description=_("Balance"))
    def balance(self, obj: SpotHolding) -> Decimal:
        return obj.wallet.balance

    @admin.display(description=_("On hold"))
    def on_hold(self, obj: SpotHolding) -> Decimal:
        return obj.wallet.on_hold
