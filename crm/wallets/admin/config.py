"""Configuration tables of money: currencies, exchange rates, conversion paths, platforms, account groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from crm.wallets import services
from crm.wallets.models import AccountGroup, Currency, CurrencyConversion, ExchangeRate, Platform


class ServiceSaveMixin:
    """Config rows save through their service (activity log, path checks)."""

    service: Callable[..., object]
    service_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in self.service_fields if name in form.cleaned_data}
        type(self).service(obj, actor=request.user, **values)


@admin.register(Currency)
class CurrencyAdmin(ServiceSaveMixin, ModelAdmin[Currency]):
    list_display = ("code", "name", "minor_units", "numeric_code", "kind", "is_enabled")
    list_filter = ("kind", "is_enabled")
    search_fields = ("^code", "^name")
    service = staticmethod(services.save_currency)
    service_fields = ("code", "name", "minor_units", "numeric_code", "kind", "is_enabled", "has_destination_tag",
                      "block_explorer_url")  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Currency | None = None) -> tuple[str, ...]:
        return ("code",) if obj else ()


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceSaveMixin, ModelAdmin[ExchangeRate]):
    list_display = ("from_currency", "to_currency", "rate", "source", "updated_at")
    list_filter = ("source", "from_currency", "to_currency")
    service = staticmethod(services.save_exchange_rate)
    service_fields = ("from_currency", "to_currency", "source", "rate")


@admin.register(CurrencyConversion)
class CurrencyConversionAdmin(ServiceSaveMixin, ModelAdmin[CurrencyConversion]):
    list_display = ("source", "target", "path", "updated_at")
    service = staticmethod(services.save_conversion)
    service_fields = ("source", "target", "path")

    def delete_model(self, request: HttpRequest, obj: CurrencyConversion) -> None:
        services.delete_conversion(obj, actor=request.user)


@admin.register(Platform)
class PlatformAdmin(ModelAdmin[Platform]):
    list_display = ("name", "caption", "type", "is_enabled")
    list_filter = ("type", "is_enabled")
    search_fields = ("^name",)


@admin.register(AccountGroup)
class AccountGroupAdmin(ModelAdmin[AccountGroup]):
    list_display = (
        "name", "platform", "currency", "type", "is_demo", "default_leverage", "is_enabled", "is_sign_up_default"
    )  # fmt: skip
    list_filter = ("platform", "currency", "is_demo", "is_enabled")
    list_select_related = ("platform", "currency")
    search_fields = ("^name",)
    actions = ["make_sign_up_default"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccountGroup]:
        platform, group = services.default_wallet_names()
        default = ExpressionWrapper(Q(name=group, platform__name=platform), output_field=BooleanField())
        queryset: QuerySet[AccountGroup] = super().get_queryset(request).annotate(is_default_for_sign_up=default)
        return queryset

    @display(description=_("New clients' wallet"), boolean=True)
    def is_sign_up_default(self, obj: AccountGroup) -> bool:
        return bool(obj.is_default_for_sign_up)  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.action(description=_("Open new clients' first wallet in this group"), permissions=["configure"])
    def make_sign_up_default(self, request: HttpRequest, queryset: QuerySet[AccountGroup]) -> None:
        groups = list(queryset.select_related("platform")[:2])
        if len(groups) != 1:
            self.message_user(request, _("Select exactly one group."), messages.ERROR)
            return
        group = groups[0]
        try:
            services.configure_default_wallet(platform=group.platform, group=group, actor=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, _("New clients get their first wallet in %(group)s.") % {"group": group.name})

    def has_configure_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_setting")
