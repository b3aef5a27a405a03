"""Trading in the admin: instruments and group settings (configuration), and the dealing desk.

The dealing desk is the positions list (scoped like clients' wallets; close selected positions; change SL/TP on
a position's page; correct its prices or commission with a reason), orders (cancel pending ones), deals, and the
exposure page: open volume per symbol and the accounts nearest stop-out.
Every write goes through `crm.trading.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from crm.core.admin import ReadOnlyAdminMixin
from crm.core.exceptions import DomainError
from crm.core.exports.admin import ExportAdminMixin
from crm.trading import formulas, selectors, services
from crm.trading.models import (
    Deal,
    GroupInstrument,
    GroupTradingSettings,
    Instrument,
    Order,
    Position,
    PositionCorrection,
    Quote,
    SessionOverride,
)
from crm.trading.services import market_files
from crm.wallets.models import Wallet

NEAREST_STOP_OUT = 20


class SessionOverrideInline(TabularInline[SessionOverride, Instrument]):
    model = SessionOverride
    extra = 0
    fields = ("date", "sessions", "reason")


@admin.register(Instrument)
class InstrumentAdmin(ExportAdminMixin, ModelAdmin[Instrument]):
    list_display = (
        "symbol", "category", "market_type", "digits", "contract_size", "margin_calc_mode", "min_lot", "max_lot",
        "swap_long", "swap_short", "bid", "ask", "is_enabled",
    )  # fmt: skip
    list_filter = ("category", "market_type", "market_group", "is_enabled")
    list_select_related = ("quote",)
    autocomplete_fields = ("base_asset", "quote_asset", "market_group")
    inlines = (SessionOverrideInline,)
    search_fields = ("^symbol", "^description")
    ordering = ("sort_order", "symbol")
    actions_list = ["export_xlsx", "export_markets_file", "import_markets_file"]

    @action(description=_("Export markets file"), icon="download", url_path="export-markets-file")
    def export_markets_file(self, request: HttpRequest) -> HttpResponse:
        """Every instrument in the import's columns (001 markets/download). GET asks, POST records the job."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Export the markets file"),
                "opts": self.model._meta,
                "filters": {},
                "changelist_url": reverse("admin:trading_instrument_changelist"),
            }
            return TemplateResponse(request, "admin/core/export_confirm.html", context)
        job = market_files.export_markets(owner=request.user)
        messages.info(request, _("The export has started; this page shows its progress."))
        return HttpResponseRedirect(reverse("admin:core_exportjob_change", args=[job.pk]))

    @action(description=_("Import markets file"), icon="upload", url_path="import-markets-file")
    def import_markets_file(self, request: HttpRequest) -> HttpResponse:
        """The markets file upload (001 markets/file): the markets file import's add page."""
        return HttpResponseRedirect(reverse("admin:trading_marketimport_add"))

    @admin.display(description=_("Bid"))
    def bid(self, obj: Instrument) -> Decimal | None:
        quote = getattr(obj, "quote", None)
        return quote.bid if quote else None

    @admin.display(description=_("Ask"))
    def ask(self, obj: Instrument) -> Decimal | None:
        quote = getattr(obj, "quote", None)
        return quote.ask if quote else None

    def save_model(self, request: HttpRequest, obj: Instrument, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        services.save_instrument(obj, actor=request.user, **values)


class GroupInstrumentInline(TabularInline[GroupInstrument, GroupTradingSettings]):
    model = GroupInstrument
    extra = 0
    autocomplete_fields = ("instrument",)
    fields = ("instrument", "is_enabled", "markup_points", "commission_per_lot")


@admin.register(GroupTradingSettings)
class GroupTradingSettingsAdmin(ModelAdmin[GroupTradingSettings]):
    list_display = (
        "group", "margin_call_level", "stop_out_level", "stop_out_policy", "hedging_mode",
        "negative_balance_protection", "commission_per_lot", "markup_points", "swaps_enabled",
    )  # fmt: skip
    list_select_related = ("group",)
    autocomplete_fields = ("group",)
    inlines = (GroupInstrumentInline,)

    def save_model(self, request: HttpRequest, obj: GroupTradingSettings, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "group"}
        saved = services.save_group_settings(form.cleaned_data["group"], actor=request.user, **values)
        obj.pk = saved.pk


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdminMixin, ModelAdmin[Quote]):
    list_display = ("instrument", "bid", "ask", "time")
    list_select_related = ("instrument",)
    search_fields = ("^instrument__symbol",)


class PositionCorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What"), choices=PositionCorrection.Field.choices)
    value = forms.DecimalField(label=_("Correct value"), max_digits=24, decimal_places=10)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Position)
class PositionAdmin(ExportAdminMixin, ModelAdmin[Position]):
    """The dealing desk's positions: open and closed, with the current price and floating profit of open ones."""

    list_display = (
        "id", "account", "client", "instrument", "side", "lots", "open_price", "current_price", "floating_profit",
        "stop_loss", "take_profit", "status", "close_reason", "profit", "opened_at",
    )  # fmt: skip
    list_filter = ("status", "side", "close_reason", "instrument", "account__is_demo")
    list_select_related = ("account", "account__customer", "instrument", "instrument__quote")
    search_fields = ("=id", "^account__number", "^account__customer__email", "=external_id")
    show_full_result_count = False
    export_permission = "trading.view_exposure"  # the dealing desk's whole book
    actions = [*ExportAdminMixin.actions, "close_selected"]
    fields = (
        "account", "instrument", "side", "status", "lots", "opened_lots", "open_price", "opened_at", "stop_loss",
        "take_profit", "close_price", "closed_at", "close_reason", "profit", "commission", "swap", "funding",
        "deal_lines", "correction_lines", "adapter", "external_id",
    )  # fmt: skip
    readonly_fields = tuple(name for name in fields if name not in ("stop_loss", "take_profit"))

    @admin.display(description=_("Deals"))
    def deal_lines(self, obj: Position) -> str:
        """The position's executions, one line each (in/out, lots, price, profit, commission, comment)."""
        lines = [
            f"#{deal.pk} {deal.created_at:%Y-%m-%d %H:%M:%S} {deal.entry} {deal.side} {deal.lots.normalize()} "
            f"@ {deal.price.normalize()} profit {deal.profit.normalize()} commission {deal.commission.normalize()}"
            f"{' ' + deal.comment if deal.comment else ''}"
            for deal in obj.deals.order_by("created_at", "pk")
        ]
        return "\n".join(lines) or "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Position]:
        return Position.objects.visible_to(request.user).for_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Position | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Position | None = None) -> bool:
        if obj is not None and obj.adapter_id is not None:
            return False  # an outside platform's position (synced) is changed on that platform
        return super().has_change_permission(request, obj)

    def has_close_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("trading.close_position")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self._rates = selectors.Rates.load()  # one query per page for every row's conversion
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("Client"))
    def client(self, obj: Position) -> str:
        return str(obj.account.customer) if obj.account.customer_id else ""

    @admin.display(description=_("Price"))
    def current_price(self, obj: Position) -> Decimal | None:
        quote = getattr(obj.instrument, "quote", None)
        if quote is None or obj.status != Position.Status.OPEN:
            return None
        price: Decimal = quote.bid if obj.side == formulas.Side.BUY else quote.ask
        return price

    @admin.display(description=_("Floating P/L"))
    def floating_profit(self, obj: Position) -> Decimal | None:
        quote = getattr(obj.instrument, "quote", None)
        if quote is None or obj.status != Position.Status.OPEN:
            return None
        rates = getattr(self, "_rates", None) or selectors.Rates.load()
        try:
            value = selectors.floating_profit(
                obj, quote=quote, markup_points=0, rates=rates, currency=obj.account.currency_id
            )
        except DomainError:
            return None
        return value.quantize(Decimal("0.01"))

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        if not request.user.has_perm("trading.close_position"):
            raise PermissionDenied
        services.modify_position(
            obj,
            stop_loss=form.cleaned_data.get("stop_loss"),
            take_profit=form.cleaned_data.get("take_profit"),
            actor=request.user,
        )

    @admin.action(description=_("Close selected positions at the market"), permissions=["close"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[Position]) -> None:
        closed, refused = 0, []
        for position in queryset.filter(status=Position.Status.OPEN).order_by("pk"):
            try:
                services.close_position(position, reason=Position.CloseReason.DEALER, actor=request.user)
                closed += 1
            except DomainError as refusal:
                refused.append(f"#{position.pk}: {refusal.message}")
        if closed:
            self.message_user(request, _("%(count)d positions closed.") % {"count": closed})
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def get_urls(self) -> list[URLPattern]:
        exposure = path("exposure/", self.admin_site.admin_view(self.exposure_view), name="trading_position_exposure")
        correct = path(
            "<int:object_id>/correct/",
            self.admin_site.admin_view(self.correct_view),
            name="trading_position_correct",
        )
        return [exposure, correct, *super().get_urls()]

    @admin.display(description=_("Corrections"))
    def correction_lines(self, obj: Position) -> str:
        """The dealers' corrections of the position, one line each, and where to make one."""
        lines = [
            f"#{row.pk} {row.created_at:%Y-%m-%d %H:%M:%S} {row.created_by or '-'}: {row.get_field_display()} "
            f"{row.before.normalize()} -> {row.after.normalize()} ({row.balance_change:+}) {row.reason}"
            for row in obj.corrections.select_related("created_by").order_by("created_at", "pk")
        ]
        link = reverse("admin:trading_position_correct", args=[obj.pk])
        return format_html(
            '{}<br><a class="text-primary-600 underline" href="{}">{}</a>',
            "\n".join(lines) or "-",
            link,
            _("Correct prices or commission"),
        )

    def correct_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """A dealer corrects the position's open price, close price or commission, with a reason."""
        if not request.user.has_perm("trading.correct_position"):
            raise PermissionDenied
        position = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = PositionCorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.correct_position(position, actor=request.user, **form.cleaned_data)
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(request, _("Position #%(id)s corrected.") % {"id": position.pk})
                return HttpResponseRedirect(reverse("admin:trading_position_change", args=[position.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct position #%(id)s") % {"id": position.pk},
            "opts": self.model._meta,
            "position": position,
            "form": form,
        }
        return TemplateResponse(request, "admin/trading/position/correct.html", context)

    def exposure_view(self, request: HttpRequest) -> HttpResponse:
        """Open volume per symbol (of the positions this user may see) and the accounts nearest stop-out."""
        if not request.user.has_perm("trading.view_exposure"):
            raise PermissionDenied
        visible = Position.objects.visible_to(request.user)
        nearest = (
            Wallet.objects.visible_to(request.user)
            .filter(type__in=(Wallet.Type.TRADE, Wallet.Type.DEMO), margin_level__isnull=False)
            .select_related("customer")
            .order_by("margin_level", "pk")[:NEAREST_STOP_OUT]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Exposure"),
            "opts": self.model._meta,
            "rows": selectors.exposure_by_symbol(visible),
            "nearest": list(nearest),
        }
        return TemplateResponse(request, "admin/trading/position/exposure.html", context)


@admin.register(Order)
class OrderAdmin(ExportAdminMixin, ReadOnlyAdminMixin, ModelAdmin[Order]):
    list_display = (
        "id", "account", "instrument", "side", "type", "lots", "price", "stop_loss", "take_profit", "status",
        "time_in_force", "expires_at", "fill_price", "created_at",
    )  # fmt: skip
    list_filter = ("status", "type", "side", "time_in_force", "instrument__market_type", "instrument")
    list_select_related = ("account", "instrument")
    search_fields = ("=id", "^account__number")
    show_full_result_count = False
    export_permission = "trading.view_exposure"
    actions = [*ExportAdminMixin.actions, "cancel_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return Order.objects.visible_to(request.user).for_list()

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("trading.change_order")

    @admin.action(description=_("Cancel selected pending orders"), permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        cancelled = 0
        for order in queryset.filter(status=Order.Status.PENDING).order_by("pk"):
            try:
                services.cancel_order(order, actor=request.user)
                cancelled += 1
            except DomainError as refusal:
                self.message_user(request, f"#{order.pk}: {refusal.message}", messages.ERROR)
        self.message_user(request, _("%(count)d orders cancelled.") % {"count": cancelled})


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, ModelAdmin[Deal]):
    list_display = (
        "id", "account", "instrument", "position", "entry", "side", "lots", "price", "profit", "commission",
        "compensation", "comment", "created_at",
    )  # fmt: skip
    list_filter = ("entry", "side", "instrument")
    list_select_related = ("account", "instrument", "position")
    search_fields = ("=id", "=position__id", "^account__number", "=external_id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deal]:
        return Deal.objects.visible_to(request.user).for_list()


from crm.trading import admin_market_data, admin_markets, admin_settings, admin_spot  # noqa: E402,F401  (registers them)
