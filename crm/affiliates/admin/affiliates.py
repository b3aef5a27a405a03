"""Affiliate profiles: the IB tree view, downline statistics, approve/suspend, flagged sign-ups."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from crm.affiliates import services
from crm.affiliates.admin.common import STATUS_LABELS
from crm.affiliates.admin.forms import AffiliateForm, ReasonDialogForm
from crm.affiliates.admin.stats import downline_statistics, tree_rows
from crm.affiliates.models import Affiliate, AttributionFlag
from crm.affiliates.models.program import AffiliateQuerySet
from crm.core.admin import ReadOnlyAdminMixin, ServiceFormAdminMixin, run_service
from crm.customers.forms import ConfirmDialogForm


@admin.register(Affiliate)
class AffiliateAdmin(ServiceFormAdminMixin, ModelAdmin):
    form = AffiliateForm
    list_display = (
        "id", "customer", "status_label", "parent", "depth", "commission_model", "currency", "manager",
        "referral_count", "created_at",
    )  # fmt: skip
    list_filter = ("status", "commission_model", "depth")
    list_select_related = ("customer", "parent__customer", "commission_model", "manager", "currency")
    search_fields = ("=id", "^customer__email", "^customer__last_name", "=customer__referral_key")
    autocomplete_fields = ("customer", "parent")
    show_full_result_count = False
    readonly_fields = ("status", "status_reason", "depth", "approved_at", "approved_by")
    actions_detail = ["approve", "suspend", "tree", "statistics"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.instance = form.saved
        for formset in formsets:
            formset.instance = form.saved
            self.save_formset(request, form, formset, change=change)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            cast(AffiliateQuerySet, super().get_queryset(request))
            .visible_to(request.user)
            .annotate(referral_total=Count("customer__referrals", distinct=True))
        )

    def get_fields(self, request: HttpRequest, obj: Affiliate | None = None) -> list:
        fields = list(AffiliateForm.Meta.fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("affiliates.approve_affiliate")

    def has_stats_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("affiliates.view_downline_stats")

    @display(description=_("Status"), label=STATUS_LABELS, ordering="status")
    def status_label(self, obj: Affiliate) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("Referrals"), ordering="referral_total")
    def referral_count(self, obj: Affiliate) -> int:
        return obj.referral_total  # type: ignore[attr-defined]  # annotated by get_queryset

    def _affiliate(self, request: HttpRequest, object_id: str) -> Affiliate:
        affiliate = self.get_object(request, object_id)
        if affiliate is None:
            raise Http404
        return affiliate

    def _back(self, object_id: str) -> str:
        return reverse("admin:affiliates_affiliate_change", args=[object_id])

    @action(
        description=_("Approve"),
        url_path="approve",
        icon="check_circle",
        permissions=["approve"],
        dialog={
            "title": _("Approve the affiliate"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Approve"),
        },
    )
    def approve(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        affiliate = self._affiliate(request, object_id)
        work = lambda: services.approve_affiliate(affiliate, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Affiliate approved."), self._back(object_id))

    @action(
        description=_("Suspend"),
        url_path="suspend",
        icon="block",
        permissions=["approve"],
        dialog={"title": _("Suspend the affiliate"), "form_class": ReasonDialogForm, "form_submit_text": _("Suspend")},
    )
    def suspend(self, request: HttpRequest, form: ReasonDialogForm, object_id: str) -> HttpResponse:
        affiliate = self._affiliate(request, object_id)
        reason = form.cleaned_data["reason"]
        work = lambda: services.suspend_affiliate(affiliate, reason=reason, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Affiliate suspended."), self._back(object_id))

    @action(description=_("IB tree"), url_path="tree-view", icon="account_tree")
    def tree(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.tree_view(request, object_id)

    @action(description=_("Downline statistics"), url_path="stats-view", icon="monitoring", permissions=["stats"])
    def statistics(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.statistics_view(request, object_id)

    def get_urls(self) -> list:
        extra = [
            path(
                "<path:object_id>/tree/", self.admin_site.admin_view(self.tree_view), name="affiliates_affiliate_tree"
            ),
            path(
                "<path:object_id>/statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name="affiliates_affiliate_statistics",
            ),
        ]
        return extra + super().get_urls()

    def tree_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The affiliate's downline to any depth, indented, with each node's referrals and earnings."""
        affiliate = self._affiliate(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("IB tree of %(name)s") % {"name": affiliate.customer},
            "affiliate": affiliate,
            "rows": tree_rows(affiliate),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/affiliates/tree.html", context)

    def statistics_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Per level of the downline: sub-IBs, referrals, first deposits, commissions by status."""
        if not self.has_stats_permission(request):
            raise Http404
        affiliate = self._affiliate(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Downline statistics of %(name)s") % {"name": affiliate.customer},
            "affiliate": affiliate,
            "levels": downline_statistics(affiliate),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/affiliates/statistics.html", context)


@admin.register(AttributionFlag)
class AttributionFlagAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "customer", "affiliate", "reason", "status_label", "created_at", "reviewed_by")
    list_filter = ("status", "reason")
    list_select_related = ("customer", "affiliate__customer", "reviewed_by")
    search_fields = ("^customer__email",)
    show_full_result_count = False
    actions = ["clear_selected", "confirm_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        visible = Affiliate.objects.visible_to(request.user)
        return super().get_queryset(request).filter(affiliate__in=visible)

    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("affiliates.review_attribution")

    @display(description=_("Status"), label=STATUS_LABELS, ordering="status")
    def status_label(self, obj: AttributionFlag) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @action(description=_("Clear: not fraud"), permissions=["review"])
    def clear_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for flag in queryset.order_by("pk"):
            services.review_flag(flag, confirmed=False, actor=request.user)
        self.message_user(request, _("Flags cleared."))

    @action(description=_("Confirm fraud: reject unpaid commissions"), permissions=["review"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for flag in queryset.order_by("pk"):
            services.review_flag(flag, confirmed=True, actor=request.user)
        self.message_user(request, _("Fraud confirmed; unpaid commissions rejected."))
