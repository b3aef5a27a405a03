"""Payments admin: providers, methods with their currencies, groups, whitelisted addresses, webhooks (read-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from crm.core.admin import ObjectActionAdminMixin, ReadOnlyAdminMixin
from crm.customers.forms import ConfirmDialogForm
from crm.payments import services, services_contradictions, services_payouts
from crm.payments.adapters import ProviderEvent, SandboxAdapter
from crm.payments.models import (
    PaymentMethod,
    PaymentMethodCurrency,
    PaymentMethodGroup,
    PaymentProvider,
    Payout,
    ProviderContradiction,
    WebhookEvent,
    WhitelistedAddress,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from crm.payments.models import PayoutQuerySet, ProviderContradictionQuerySet, WhitelistedAddressQuerySet


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
        return cast("WhitelistedAddressQuerySet", super().get_queryset(request)).visible_to(request.user)


class ReprocessDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, ObjectActionAdminMixin, ModelAdmin):
    list_display = (
        "id", "provider", "event_id", "event_type", "signature", "status", "attempts", "received_at", "processed_at",
    )  # fmt: skip
    list_filter = ("provider", "status", "signature_valid")
    list_select_related = ("provider",)
    search_fields = ("=event_id", "=reference")
    show_full_result_count = False
    actions_detail = ["reprocess"]

    @display(description=_("Signature"), label={True: "success", False: "danger"})
    def signature(self, obj: WebhookEvent) -> tuple[bool, str]:
        return obj.signature_valid, "valid" if obj.signature_valid else "forged"

    def has_reprocess_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        if not request.user.has_perm("payments.reprocess_webhookevent"):
            return False
        return (
            not object_id
            or WebhookEvent.objects.filter(
                pk=object_id, signature_valid=True, status__in=services.REPROCESSABLE
            ).exists()
        )

    @action(
        description=_("Process again"),
        url_path="reprocess",
        icon="replay",
        permissions=["reprocess"],
        dialog={
            "title": _("Process this webhook again (money moves at most once)"),
            "form_class": ReprocessDialogForm,
            "form_submit_text": _("Process again"),
        },
    )
    def reprocess(self, request: HttpRequest, form: ReprocessDialogForm, object_id: str) -> HttpResponse:
        reason = form.cleaned_data["reason"]
        work = lambda w: services.reprocess_webhook(w, actor=request.user, reason=reason)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Queued to be processed again."))


class NeedsFinanceFilter(admin.SimpleListFilter):
    title = _("Finance queue")
    parameter_name = "needs_finance"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("To follow up (stuck or failed, not reviewed)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return cast("PayoutQuerySet", queryset).needing_finance() if self.value() == "yes" else queryset


class PaidByHandDialogForm(BaseDialogForm):
    provider_reference = forms.CharField(
        required=False, max_length=200, label=_("Payment reference"), widget=UnfoldAdminTextInputWidget
    )


class PayoutFailedDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget)


class SandboxOutcomeDialogForm(BaseDialogForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(ProviderEvent.PAYOUT_COMPLETED, _("Paid")), (ProviderEvent.PAYOUT_FAILED, _("Failed"))],
        widget=UnfoldAdminSelectWidget,
    )


PAYOUT_LABELS = {
    "queued": "info",
    "sending": "info",
    "sent": "info",
    "completed": "success",
    "failed": "danger",
    "attention": "warning",
}


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, ObjectActionAdminMixin, ModelAdmin):
    """Payouts of approved withdrawals; the Finance queue is the stuck and the failed, unreviewed ones."""

    list_display = (
        "id", "transaction", "customer", "amount", "currency", "provider", "status_label", "attempts",
        "provider_reference", "created_at", "reviewed_by",
    )  # fmt: skip
    list_filter = (
        NeedsFinanceFilter,
        ("status", ChoicesDropdownFilter),
        "provider",
        ("created_at", RangeDateTimeFilter),
    )
    list_filter_submit = True
    list_select_related = ("provider", "currency", "transaction__customer", "reviewed_by")
    search_fields = ("=id", "=transaction__id", "=reference", "=provider_reference", "^transaction__customer__email")
    show_full_result_count = False
    readonly_fields = (
        "transaction", "provider", "reference", "provider_reference", "amount", "currency", "status", "attempts",
        "last_error", "claimed_at", "sent_at", "finished_at", "reviewed_by", "reviewed_at", "created_at",
        "updated_at",
    )  # fmt: skip
    fields = readonly_fields
    actions_detail = ["retry", "paid_by_hand", "failed_by_hand", "reviewed", "sandbox_outcome"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Payout.objects.visible_to(request.user).for_list()

    @display(description=_("Client"))
    def customer(self, obj: Payout) -> Any:
        return obj.transaction.customer

    @display(description=_("Status"), label=PAYOUT_LABELS, ordering="status")
    def status_label(self, obj: Payout) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    def _payout(self, object_id: Any) -> Payout | None:
        return Payout.objects.select_related("provider").filter(pk=object_id).first() if object_id else None

    def _in(self, request: HttpRequest, object_id: Any, *statuses: str) -> bool:
        payout = self._payout(object_id)
        allowed = request.user.has_perm("payments.manage_payout")
        return allowed and (payout is None or payout.status in statuses)

    def has_manage_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return self._in(request, object_id, Payout.Status.ATTENTION)

    def has_review_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        payout = self._payout(object_id)
        return self._in(request, object_id, Payout.Status.FAILED) and not (payout and payout.reviewed_at)

    def has_sandbox_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        payout = self._payout(object_id)
        is_sandbox = payout is None or (payout.provider is not None and payout.provider.adapter == SandboxAdapter.code)
        return is_sandbox and self._in(request, object_id, Payout.Status.SENDING, Payout.Status.SENT)

    @action(
        description=_("Send again"),
        url_path="retry",
        icon="replay",
        permissions=["manage"],
        dialog={
            "title": _("Send the payout to the provider again (same reference: it pays once)"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Send again"),
        },
    )
    def retry(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        work = lambda p: services_payouts.retry_payout(p, actor=request.user)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Queued to be sent again."))

    @action(
        description=_("Paid by hand"),
        url_path="paid-by-hand",
        icon="payments",
        permissions=["manage"],
        dialog={
            "title": _("Paid outside the system"),
            "form_class": PaidByHandDialogForm,
            "form_submit_text": _("Save"),
        },
    )
    def paid_by_hand(self, request: HttpRequest, form: PaidByHandDialogForm, object_id: str) -> HttpResponse:
        reference = form.cleaned_data.get("provider_reference", "")
        work = lambda p: services_payouts.settle_payout_by_hand(p, actor=request.user, provider_reference=reference)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Withdrawal completed."))

    @action(
        description=_("Payout failed"),
        url_path="failed-by-hand",
        icon="money_off",
        permissions=["manage"],
        dialog={
            "title": _("Give the money back"),
            "form_class": PayoutFailedDialogForm,
            "form_submit_text": _("Save"),
        },
    )
    def failed_by_hand(self, request: HttpRequest, form: PayoutFailedDialogForm, object_id: str) -> HttpResponse:
        reason = form.cleaned_data["reason"]
        work = lambda p: services_payouts.fail_payout_by_hand(p, actor=request.user, reason=reason)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("The money is back on the client's wallet."))

    @action(
        description=_("Followed up"),
        url_path="reviewed",
        icon="task_alt",
        permissions=["review"],
        dialog={
            "title": _("The failed payout was followed up: take it off the queue"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Done"),
        },
    )
    def reviewed(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        work = lambda p: services_payouts.review_payout(p, actor=request.user)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Marked as followed up."))

    @action(
        description=_("Sandbox: report the outcome"),
        url_path="sandbox-outcome",
        icon="science",
        permissions=["sandbox"],
        dialog={
            "title": _("The sandbox provider reports the payout's outcome"),
            "form_class": SandboxOutcomeDialogForm,
            "form_submit_text": _("Send the webhook"),
        },
    )
    def sandbox_outcome(self, request: HttpRequest, form: SandboxOutcomeDialogForm, object_id: str) -> HttpResponse:
        kind = form.cleaned_data["outcome"]
        work = lambda p: services_payouts.sandbox_outcome(p, kind=kind)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("The sandbox sent %(kind)s.") % {"kind": kind})


class ReviewedFilter(admin.SimpleListFilter):
    title = _("Review")
    parameter_name = "to_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("To review"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return cast("ProviderContradictionQuerySet", queryset).to_review() if self.value() == "yes" else queryset


class ContradictionReviewDialogForm(BaseDialogForm):
    note = forms.CharField(max_length=1000, label=_("What was found and done"), widget=UnfoldAdminTextInputWidget)


@admin.register(ProviderContradiction)
class ProviderContradictionAdmin(ReadOnlyAdminMixin, ObjectActionAdminMixin, ModelAdmin):
    """Provider statuses that contradicted the recorded outcome: Finance's queue, both payloads side by side."""

    list_display = (
        "id", "transaction", "customer", "recorded_status", "reported_event", "provider", "created_at",
        "reviewed_by",
    )  # fmt: skip
    list_filter = (ReviewedFilter, "reported_event", "recorded_status", ("created_at", RangeDateTimeFilter))
    list_filter_submit = True
    list_select_related = ("webhook__provider", "transaction__customer", "reviewed_by")
    search_fields = ("=id", "=transaction__id", "=webhook__event_id")
    show_full_result_count = False
    readonly_fields = (
        "transaction", "recorded_status", "reported_event", "webhook", "earlier_webhook", "recorded_payload",
        "reported_payload", "created_at", "reviewed_by", "reviewed_at", "review_note",
    )  # fmt: skip
    fields = readonly_fields
    actions_detail = ["reviewed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return ProviderContradiction.objects.visible_to(request.user).for_list()

    @display(description=_("Client"))
    def customer(self, obj: ProviderContradiction) -> Any:
        return obj.transaction.customer

    @display(description=_("Provider"))
    def provider(self, obj: ProviderContradiction) -> Any:
        return obj.webhook.provider

    def has_review_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        if not request.user.has_perm("payments.review_providercontradiction"):
            return False
        return not (object_id and ProviderContradiction.objects.filter(pk=object_id, reviewed_at__isnull=False))

    @action(
        description=_("Reviewed"),
        url_path="reviewed",
        icon="task_alt",
        permissions=["review"],
        dialog={
            "title": _("Looked into with the provider: take it off the queue"),
            "form_class": ContradictionReviewDialogForm,
            "form_submit_text": _("Done"),
        },
    )
    def reviewed(self, request: HttpRequest, form: ContradictionReviewDialogForm, object_id: str) -> HttpResponse:
        note = form.cleaned_data["note"]
        work = lambda c: services_contradictions.review_contradiction(c, actor=request.user, note=note)  # noqa: E731
        return self.run_object_action(request, object_id, work, _("Marked as reviewed."))
