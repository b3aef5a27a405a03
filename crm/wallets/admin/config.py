"""Configuration tables of money: currencies, exchange rates, conversion paths, platforms, account groups."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from crm.wallets import services
from crm.wallets.models import AccountGroup, Currency, CurrencyConversion, ExchangeRate, Platform


class ServiceSaveMixin:
    """Config rows save through their service (activity log, path checks)."""

    service = None
    service_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in self.service_fields if name in form.cleaned_data}
        type(self).service(obj, actor=request.user, **values)


@admin.register(Currency)
class CurrencyAdmin(ServiceSaveMixin, ModelAdmin):
    list_display = ("code", "name", "minor_units", "numeric_code", "kind", "is_enabled")
    list_filter = ("kind", "is_enabled")
    search_fields = ("^code", "^name")
    service = staticmethod(services.save_currency)
    service_fields = ("code", "name", "minor_units", "numeric_code", "kind", "is_enabled", "has_destination_tag",
                      "block_explorer_url")  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("code",) if obj else ()


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceSaveMixin, ModelAdmin):
    list_display = ("from_currency", "to_currency", "rate", "source", "updated_at")
    list_filter = ("source", "from_currency", "to_currency")
    service = staticmethod(services.save_exchange_rate)
    service_fields = ("from_currency", "to_currency", "source", "rate")


@admin.register(CurrencyConversion)
class CurrencyConversionAdmin(ServiceSaveMixin, ModelAdmin):
    list_display = ("source", "target", "path", "updated_at")
    service = staticmethod(services.save_conversion)
    service_fields = ("source", "target", "path")

    def delete_model(self, request: HttpRequest, obj: CurrencyConversion) -> None:
        services.delete_conversion(obj, actor=request.user)


@admin.register(Platform)
class PlatformAdmin(ModelAdmin):
    list_display = ("name", "caption", "type", "is_enabled")
    list_filter = ("type", "is_enabled")
    search_fields = ("^name",)


@admin.register(AccountGroup)
class AccountGroupAdmin(ModelAdmin):
    list_display = ("name", "platform", "currency", "type", "is_demo", "default_leverage", "is_enabled")
    list_filter = ("platform", "currency", "is_demo", "is_enabled")
    list_select_related = ("platform",)
    search_fields = ("^name",)
