"""The wallets admin: a scoped list, a wallet page with its postings, statement page and money dialogs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from crm.core.admin import ObjectActionAdminMixin, ReadOnlyAdminMixin, ServiceFormAdminMixin, back_to, money_display
from crm.customers.forms import ConfirmDialogForm
from crm.wallets import selectors, services
from crm.wallets.exceptions import OperationNotAllowed
from crm.wallets.forms import MovementDialogForm, StatementPeriodForm, WalletForm
from crm.wallets.models import Posting, Wallet, WalletQuerySet
from crm.wallets.statements import XLSX, statement_filename, statement_xlsx

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WalletPostingInline(ReadOnlyAdminMixin, TabularInline[Posting, Wallet]):
    """The wallet's postings, newest first, paginated."""

    model = Posting
    tab = True
    extra = 0
    per_page = 20
    fields = ("created_at", "entry", "bucket", "amount", "balance_after")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    show_change_link = False
    verbose_name_plural = _("Postings")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Posting]:
        return super().get_queryset(request).select_related("entry")


@admin.register(Wallet)
class WalletAdmin(ServiceFormAdminMixin, ObjectActionAdminMixin, ModelAdmin[Wallet]):
    form = WalletForm
    list_display = ("number", "customer", "type", "group", "leverage", "balance_shown", "credit_shown",
                    "on_hold_shown", "enabled", "is_demo")  # fmt: skip
    list_filter = ("type", "currency", "is_demo", "is_enabled", "group")
    list_select_related = ("customer", "currency", "group")
    search_fields = ("^number", "^customer__email")
    show_full_result_count = False
    inlines = [WalletPostingInline]
    actions_detail = ["enable", "disable", "enter_movement", "open_statement"]
    readonly_fields = ("number", "customer", "currency", "type", "system_code", "platform", "is_demo",
                       "allow_negative", "balance_shown", "credit_shown", "on_hold_shown", "equity_shown",
                       "margin_shown", "free_margin_shown", "margin_level", "created_at")  # fmt: skip
    balance_shown = money_display("balance", description=_("Balance"))
    credit_shown = money_display("credit", description=_("Credit"))
    on_hold_shown = money_display("on_hold", description=_("On hold"))
    equity_shown = money_display("equity", description=_("Equity"))
    margin_shown = money_display("margin", description=_("Margin"))
    free_margin_shown = money_display("free_margin", description=_("Free margin"))

    def get_queryset(self, request: HttpRequest) -> WalletQuerySet:
        return cast(WalletQuerySet, super().get_queryset(request)).visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # wallets are opened for a client through the API or the client's portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_enable_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("wallets.enable_wallet")

    def has_movement_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("wallets.create_manual_transaction")

    def has_statement_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("wallets.view_statement")

    @display(description=_("Enabled"), label={True: "success", False: "danger"})
    def enabled(self, obj: Wallet) -> tuple[bool, StrOrPromise]:
        return obj.is_enabled, _("Enabled") if obj.is_enabled else _("Disabled")

    # Dialogs -------------------------------------------------------------------------------

    def _wallet(self, request: HttpRequest, object_id: str) -> Wallet:
        wallet: Wallet | None = self.get_object(request, object_id)
        if wallet is None:
            raise Http404
        return wallet

    @action(
        description=_("Enable"),
        url_path="enable",
        icon="lock_open",
        permissions=["enable"],
        dialog={"title": _("Enable the wallet"), "form_class": ConfirmDialogForm, "form_submit_text": _("Enable")},
    )
    def enable(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        work = lambda w: services.set_wallet_enabled(w, enabled=True, actor=request.user)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Wallet enabled."))

    @action(
        description=_("Disable"),
        url_path="disable",
        icon="lock",
        permissions=["enable"],
        dialog={"title": _("Disable the wallet"), "form_class": ConfirmDialogForm, "form_submit_text": _("Disable")},
    )
    def disable(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        work = lambda w: services.set_wallet_enabled(w, enabled=False, actor=request.user)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Wallet disabled."))

    @action(
        description=_("Enter a movement"),
        url_path="movement",
        icon="add_card",
        permissions=["movement"],
        dialog={"title": _("Enter a movement"), "form_class": MovementDialogForm, "form_submit_text": _("Enter")},
    )
    def enter_movement(self, request: HttpRequest, form: MovementDialogForm, object_id: str) -> HttpResponse:
        values = form.values()
        kind = values.pop("type")

        def work(wallet: Wallet) -> None:
            if kind == "WITHDRAWAL":
                if wallet.customer is None:
                    raise OperationNotAllowed("A system account has no client to withdraw for.")
                services.request_withdrawal(
                    wallet.customer, wallet=wallet, amount=values["amount"], actor=request.user,
                    method="manual", comment=values["comment"],
                )  # fmt: skip
            else:
                services.create_movement(wallet, kind=kind, actor=request.user, **values)

        return self.run_object_action(request, object_id, work, _("Movement entered."))

    @action(description=_("Statement"), url_path="statement-page", icon="receipt_long", permissions=["statement"])
    def open_statement(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return back_to(request, reverse("admin:wallets_wallet_statement", args=[object_id]))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.statement_view)
        return [path("<path:object_id>/statement/", view, name="wallets_wallet_statement"), *super().get_urls()]

    def statement_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Opening balance, movements and closing balance for a period; `?format=xlsx` downloads it."""
        if not self.has_statement_permission(request):
            raise Http404
        wallet = self._wallet(request, object_id)
        form = StatementPeriodForm(request.GET or None)
        statement = None
        if form.is_bound and form.is_valid():
            statement = selectors.statement(wallet, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
            if request.GET.get("format") == "xlsx":
                response = HttpResponse(statement_xlsx(statement), content_type=XLSX)
                response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
                return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Statement of %(number)s") % {"number": wallet.number},
            "wallet": wallet,
            "form": form,
            "statement": statement,
            "query": request.GET.urlencode(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/wallets/wallet/statement.html", context)
