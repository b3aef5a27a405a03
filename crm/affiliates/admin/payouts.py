"""The payout queue for Finance, and the program's marketing tables."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from crm.affiliates import services
from crm.affiliates.admin.common import STATUS_LABELS
from crm.affiliates.admin.forms import OptionalReasonDialogForm
from crm.affiliates.models import (
    Banner,
    Bucket,
    Campaign,
    LandingPage,
    PayoutRequest,
    PayoutWallet,
    ReferralLink,
    Source,
    TargetGroup,
)
from crm.core.admin import ReadOnlyAdminMixin, run_service
from crm.customers.forms import ConfirmDialogForm


@admin.register(PayoutRequest)
class PayoutRequestAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Pending requests first; approval pays through the ledger, rejection releases the commissions."""

    list_display = (
        "id", "introducer", "amount", "currency", "status_label", "payout_wallet", "is_automatic", "requested_at",
        "approved_at", "rejected_at", "admin",
    )  # fmt: skip
    list_filter = ("status", "is_automatic", "currency")
    list_select_related = ("introducer__customer", "payout_wallet__wallet", "currency", "admin")
    search_fields = ("=id", "=introducer__id", "^introducer__customer__email")
    show_full_result_count = False
    actions_detail = ["approve_request", "reject_request"]
    fields = (
        "introducer", "payout_wallet", "amount", "currency", "status", "is_automatic", "requested_at",
        "approved_at", "rejected_at", "reject_reason", "transaction", "admin",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return PayoutRequest.objects.visible_to(request.user).select_related(*self.list_select_related)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("affiliates.view_payoutrequest")

    def has_pay_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("affiliates.approve_payoutrequest")

    @display(description=_("Status"), label=STATUS_LABELS, ordering="status")
    def status_label(self, obj: PayoutRequest) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    def _request(self, request: HttpRequest, object_id: str) -> PayoutRequest:
        payout = self.get_object(request, object_id)
        if payout is None:
            raise Http404
        return payout

    def _back(self, object_id: str) -> str:
        return reverse("admin:affiliates_payoutrequest_change", args=[object_id])

    @action(
        description=_("Approve and pay"),
        url_path="approve",
        icon="payments",
        permissions=["pay"],
        dialog={
            "title": _("Approve the payout and pay the affiliate"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Approve and pay"),
        },
    )
    def approve_request(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        payout = self._request(request, object_id)
        work = lambda: services.approve_payout_request(payout, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Paid to the affiliate's wallet."), self._back(object_id))

    @action(
        description=_("Reject"),
        url_path="reject",
        icon="block",
        permissions=["pay"],
        dialog={
            "title": _("Reject the payout"),
            "form_class": OptionalReasonDialogForm,
            "form_submit_text": _("Reject"),
        },
    )
    def reject_request(self, request: HttpRequest, form: OptionalReasonDialogForm, object_id: str) -> HttpResponse:
        payout = self._request(request, object_id)
        reason = form.cleaned_data.get("reason") or ""
        work = lambda: services.reject_payout_request(payout, reason=reason, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Payout rejected."), self._back(object_id))


@admin.register(PayoutWallet)
class PayoutWalletAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "affiliate", "wallet", "is_default", "created_at")
    list_select_related = ("affiliate__customer", "wallet__currency")
    search_fields = ("=affiliate__id", "^wallet__number")


class _OwnedByAffiliate(ModelAdmin):
    list_select_related: ClassVar[tuple[str, ...]] = ("affiliate__customer",)
    autocomplete_fields = ("affiliate",)
    search_fields: ClassVar[tuple[str, ...]] = ("^name", "=affiliate__id")
    show_full_result_count = False


@admin.register(Campaign)
class CampaignAdmin(_OwnedByAffiliate):
    list_display = ("name", "code", "affiliate", "is_active", "created_at")


@admin.register(Source)
class SourceAdmin(_OwnedByAffiliate):
    list_display = ("name", "affiliate", "created_at")


@admin.register(Bucket)
class BucketAdmin(_OwnedByAffiliate):
    list_display = ("id", "name", "affiliate", "created_at")
    filter_horizontal = ("sources",)


@admin.register(ReferralLink)
class ReferralLinkAdmin(_OwnedByAffiliate):
    list_display = ("id", "name", "affiliate", "campaign", "sub_id", "utm_source", "clicks")
    list_select_related = ("affiliate__customer", "campaign")
    search_fields = ("^name", "=affiliate__id", "=sub_id")


@admin.register(TargetGroup)
class TargetGroupAdmin(ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("^name",)
    autocomplete_fields = ("affiliates",)


@admin.register(Banner)
class BannerAdmin(ModelAdmin):
    list_display = ("name", "width", "height", "language", "is_active")
    list_filter = ("is_active", "language")
    search_fields = ("^name",)
    filter_horizontal = ("target_groups",)


@admin.register(LandingPage)
class LandingPageAdmin(ModelAdmin):
    list_display = ("name", "url", "language", "is_active")
    list_filter = ("is_active", "language")
    search_fields = ("^name",)
    filter_horizontal = ("target_groups",)
