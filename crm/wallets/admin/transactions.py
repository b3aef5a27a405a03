"""Transactions for Finance (filters, export, approve/reject/refund dialogs) and the read-only journal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import action, display

from crm.core.admin import ObjectActionAdminMixin, ReadOnlyAdminMixin, money_display
from crm.core.exports.admin import ExportAdminMixin
from crm.wallets import services
from crm.wallets.forms import ApproveDialogForm, ChargebackDialogForm, RefundDialogForm, RejectDialogForm
from crm.wallets.models import JournalEntry, Posting, Transaction, TransactionQuerySet

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups

STATUS_LABELS = {
    "pending": "warning",
    "approved": "info",
    "completed": "success",
    "rejected": "danger",
    "failed": "danger",
    "cancelled": "danger",
    "refunded": "warning",
    "charged_back": "danger",
}


class TransactionEntryInline(ReadOnlyAdminMixin, TabularInline[JournalEntry, Transaction]):
    model = JournalEntry
    fk_name = "transaction"
    tab = True
    extra = 0
    fields = ("idempotency_key", "kind", "description", "created_by", "created_at")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("Journal entries")

    def get_queryset(self, request: HttpRequest) -> QuerySet[JournalEntry]:
        return super().get_queryset(request).select_related("created_by")


@admin.register(Transaction)
class TransactionAdmin(ExportAdminMixin, ReadOnlyAdminMixin, ObjectActionAdminMixin, ModelAdmin[Transaction]):
    list_display = (
        "id", "type", "status_label", "customer", "wallet", "amount_shown", "fee_shown", "is_ftd", "method",
        "created_by", "approved_by", "created_at",
    )  # fmt: skip
    list_filter = (
        ("type", ChoicesDropdownFilter),
        ("status", ChoicesDropdownFilter),
        "currency",
        "is_ftd",
        ("created_at", RangeDateTimeFilter),
    )
    list_filter_submit = True
    list_select_related = ("customer", "wallet", "currency", "created_by", "approved_by", "target_currency")
    search_fields = ("=id", "=provider_reference", "^customer__email", "^wallet__number")
    show_full_result_count = False
    inlines = [TransactionEntryInline]
    export_permission = "wallets.export_transaction"
    actions_detail = ["approve", "reject", "refund", "charge_back"]
    # The withdrawal review: the client's summary above the transaction (crm.wallets.summary).
    change_form_outer_before_template = "admin/wallets/transaction_summary.html"

    amount_shown = money_display("amount", description=_("Amount"))
    fee_shown = money_display("fee", description=_("Fee"))
    original_amount_shown = money_display("original_amount", description=_("Original amount"))
    target_amount_shown = money_display("target_amount", currency="target_currency", description=_("Target amount"))
    MONEY_SHOWN = {
        "amount": "amount_shown",
        "fee": "fee_shown",
        "original_amount": "original_amount_shown",
        "target_amount": "target_amount_shown",
    }

    def get_fields(self, request: HttpRequest, obj: Transaction | None = None) -> _FieldGroups:
        # Every field is read-only here: money fields read as money (one format), not with 8 decimals.
        return [
            self.MONEY_SHOWN.get(name, name) if isinstance(name, str) else name
            for name in super().get_fields(request, obj)
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Transaction | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *self.MONEY_SHOWN.values()]

    def get_queryset(self, request: HttpRequest) -> TransactionQuerySet:
        return cast(TransactionQuerySet, super().get_queryset(request)).visible_to(request.user)

    @display(description=_("Status"), label=STATUS_LABELS)
    def status_label(self, obj: Transaction) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    def has_approve_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("wallets.approve_transaction")

    def has_refund_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("wallets.refund_transaction")

    @action(
        description=_("Approve"),
        url_path="approve",
        icon="check_circle",
        permissions=["approve"],
        dialog={"title": _("Approve"), "form_class": ApproveDialogForm, "form_submit_text": _("Approve")},
    )
    def approve(self, request: HttpRequest, form: ApproveDialogForm, object_id: str) -> HttpResponse:
        amount, comment = form.cleaned_data.get("changed_amount"), form.cleaned_data.get("comment", "")
        return self.run_object_action(
            request,
            object_id,
            lambda t: services.approve_transaction(t, actor=request.user, amount=amount, comment=comment),
            _("Approved."),
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        icon="block",
        permissions=["approve"],
        dialog={"title": _("Reject"), "form_class": RejectDialogForm, "form_submit_text": _("Reject")},
    )
    def reject(self, request: HttpRequest, form: RejectDialogForm, object_id: str) -> HttpResponse:
        reason = form.cleaned_data["reason"]
        return self.run_object_action(
            request,
            object_id,
            lambda t: services.reject_transaction(t, actor=request.user, reason=reason),
            _("Rejected."),
        )

    @action(
        description=_("Refund"),
        url_path="refund",
        icon="undo",
        permissions=["refund"],
        dialog={
            "title": _("Refund"),
            "form_class": RefundDialogForm,
            "form_submit_text": _("Refund"),
        },
    )
    def refund(self, request: HttpRequest, form: RefundDialogForm, object_id: str) -> HttpResponse:
        """A withdrawal's money back to the wallet, or a completed deposit back to the payer."""
        comment = form.cleaned_data.get("comment", "")
        return self.run_object_action(
            request,
            object_id,
            lambda t: services.refund_transaction(t, actor=request.user, comment=comment),
            _("Refunded."),
        )

    @action(
        description=_("Record a chargeback"),
        url_path="charge-back",
        icon="gavel",
        permissions=["refund"],
        dialog={
            "title": _("Record a chargeback of the deposit"),
            "form_class": ChargebackDialogForm,
            "form_submit_text": _("Record the chargeback"),
        },
    )
    def charge_back(self, request: HttpRequest, form: ChargebackDialogForm, object_id: str) -> HttpResponse:
        reason = form.cleaned_data["reason"]
        return self.run_object_action(
            request,
            object_id,
            lambda t: services.charge_back_deposit(t, actor=request.user, reason=reason),
            _("Chargeback recorded."),
        )


class PostingInline(ReadOnlyAdminMixin, TabularInline[Posting, JournalEntry]):
    model = Posting
    extra = 0
    fields = ("wallet", "currency", "bucket", "amount", "balance_after")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Posting]:
        return super().get_queryset(request).select_related("wallet", "currency")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, ModelAdmin[JournalEntry]):
    list_display = (
        "id",
        "kind",
        "idempotency_key",
        "description",
        "transaction",
        "reverses",
        "created_by",
        "created_at",
    )
    list_filter = ("kind",)
    list_select_related = ("transaction", "reverses", "created_by")
    search_fields = ("=id", "=idempotency_key")
    show_full_result_count = False
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdminMixin, ModelAdmin[Posting]):
    list_display = ("id", "entry", "wallet", "currency", "bucket", "amount", "balance_after", "created_at")
    list_filter = ("bucket", "currency")
    list_select_related = ("entry", "wallet", "currency")
    search_fields = ("^wallet__number", "=entry__id")
    show_full_result_count = False
