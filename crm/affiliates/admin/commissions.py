"""Commission plans (levels inline, rules inline on each level) and the ledger review queue."""

from __future__ import annotations

from collections.abc import Sized
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import action, display

from crm.affiliates import services
from crm.affiliates.admin.common import STATUS_LABELS
from crm.affiliates.admin.forms import CorrectDialogForm, ReasonDialogForm
from crm.affiliates.explain import explain
from crm.affiliates.models import CommissionLedger, CommissionLevel, CommissionModel, CommissionRule
from crm.core.admin import ReadOnlyAdminMixin, run_service
from crm.core.periodic import run_periodic_jobs
from crm.customers.forms import ConfirmDialogForm

# The beat jobs behind the review queue, run at once by "Calculate commissions now".
COMMISSION_TASKS = ["crm.affiliates.tasks.run_commissions_task", "crm.affiliates.tasks.approve_due_commissions_task"]


class ReferralFlaggedFilter(admin.SimpleListFilter):
    title = _("referral flag")
    parameter_name = "referral_flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Flagged (waits for the flag review)")), ("no", _("Not flagged"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(referral_flagged=self.value() == "yes")
        return queryset


class CommissionLevelInline(TabularInline):
    model = CommissionLevel
    extra = 0
    fields = ("level", "name", "rules_summary")
    readonly_fields = ("rules_summary",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("rules")

    @display(description=_("Rules"))
    def rules_summary(self, obj: CommissionLevel) -> str:
        return ", ".join(str(rule) for rule in obj.rules.all()) or "-"


class CommissionRuleInline(StackedInline):
    model = CommissionRule
    extra = 0
    fields = (
        ("kind", "is_enabled"),
        ("amount", "percent", "currency"),
        ("min_deposit", "cap_amount", "min_holding_seconds"),
        ("countries", "instruments", "instrument_groups"),
    )


@admin.register(CommissionModel)
class CommissionModelAdmin(ModelAdmin):
    """The plan editor: name, grey labelling, sub-model, hold period, and its levels (rules on each level)."""

    list_display = ("name", "is_default", "grey_labeling_enabled", "sub_commission_model", "hold_days", "is_enabled")
    list_select_related = ("sub_commission_model",)
    search_fields = ("^name",)
    inlines = [CommissionLevelInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A plan that paid commissions stays: its rules explain the ledger.
        if obj is not None and CommissionLedger.objects.filter(rule__level__commission_model=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CommissionLevel)
class CommissionLevelAdmin(ModelAdmin):
    """One level of a plan with its rules inline (reached from the plan's level rows)."""

    list_display = ("commission_model", "level", "name")
    list_select_related = ("commission_model",)
    search_fields = ("^commission_model__name",)
    inlines = [CommissionRuleInline]


@admin.register(CommissionLedger)
class CommissionLedgerAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The review queue: pending records first; approve, reject or correct, each row explained."""

    list_display = (
        "id", "introducer", "referral", "level", "commission_type", "action_type", "amount", "currency",
        "status_label", "flag_label", "hold_until", "action_timestamp", "explanation_short",
    )  # fmt: skip
    list_filter = (
        ReferralFlaggedFilter,
        ("status", ChoicesDropdownFilter),
        ("commission_type", ChoicesDropdownFilter),
        ("action_type", ChoicesDropdownFilter),
        "level",
        ("action_timestamp", RangeDateTimeFilter),
    )
    list_filter_submit = True
    search_fields = ("=id", "=introducer__id", "=referral__id", "^referral__email")
    show_full_result_count = False
    actions = ["approve_selected"]
    actions_list = ["calculate_now"]
    actions_detail = ["approve_record", "reject_record", "correct_record", "clear_referral_flags", "confirm_fraud"]
    readonly_fields = (
        "explanation", "referral_flags", "introducer", "referral", "level", "rule", "action", "reverses",
        "commission_type", "action_type", "action_details", "base_amount", "base_currency", "exchange_rate",
        "commission_amount", "corrected_commission_amount", "currency", "status", "hold_until", "approved_at",
        "rejected_at", "reject_reason", "payout_request", "payout_at", "admin_comments", "admin", "created_at",
        "updated_at",
    )  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queue = Case(
            When(status=CommissionLedger.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return (
            CommissionLedger.objects.visible_to(request.user)
            .for_list()
            .with_flags()
            .annotate(queue=queue)
            .order_by("queue", "-action_timestamp", "-id")
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("affiliates.view_commissionledger")

    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("affiliates.review_commission")

    def has_flag_review_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        if not request.user.has_perm("affiliates.review_attribution"):
            return False
        referral_id = CommissionLedger.objects.filter(pk=object_id).values_list("referral_id", flat=True).first()
        return object_id is None or bool(referral_id and services.open_flags([referral_id]))

    def has_calculate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("affiliates.run_commissions")

    @display(description=_("Referral flag"), label={True: "danger"})
    def flag_label(self, obj: CommissionLedger) -> tuple[bool, StrOrPromise] | str:
        return (True, _("Flagged")) if obj.referral_flagged else "-"  # type: ignore[attr-defined]  # annotated by get_queryset

    @display(description=_("Referral flags"))
    def referral_flags(self, obj: CommissionLedger) -> StrOrPromise:
        flags = services.open_flags([obj.referral_id]).get(obj.referral_id, []) if obj.referral_id else []
        if not flags:
            return _("None open.")
        listed = ", ".join(str(flag.get_reason_display()) for flag in flags)
        return _("Open: %(flags)s. The commission is not approved until the flag is cleared.") % {"flags": listed}

    @display(description=_("Status"), label=STATUS_LABELS, ordering="status")
    def status_label(self, obj: CommissionLedger) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("Amount"), ordering="commission_amount")
    def amount(self, obj: CommissionLedger) -> str:
        if obj.corrected_commission_amount is None:
            return f"{obj.commission_amount:f}"
        return format_html("<s>{}</s> {}", f"{obj.commission_amount:f}", f"{obj.corrected_commission_amount:f}")

    @display(description=_("Why"))
    def explanation_short(self, obj: CommissionLedger) -> str:
        return f"{obj.rule} (L{obj.level} {obj.rule.level.commission_model.name}) on {obj.action}"

    @display(description=_("Explanation"))
    def explanation(self, obj: CommissionLedger) -> str:
        return explain(obj)

    def _record(self, request: HttpRequest, object_id: str) -> CommissionLedger:
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        return record

    def _back(self, object_id: str) -> str:
        return reverse("admin:affiliates_commissionledger_change", args=[object_id])

    @action(description=_("Approve selected (hold over)"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        outcome = services.approve_commissions(queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(request, _("%(count)d commissions approved.") % {"count": len(outcome.approved)})
        skipped: list[tuple[Sized, StrOrPromise]] = [
            (
                outcome.flagged,
                _("%(count)d not approved: the referral is flagged (clear the flag on the commission)."),
            ),
            (outcome.on_hold, _("%(count)d not approved: still on hold.")),
            (outcome.not_pending, _("%(count)d not approved: not pending.")),
        ]
        for records, text in skipped:
            if records:
                self.message_user(request, text % {"count": len(records)}, messages.WARNING)

    @action(
        description=_("Approve"),
        url_path="approve",
        icon="check_circle",
        permissions=["review"],
        dialog={
            "title": _("Approve the commission"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Approve"),
        },
    )
    def approve_record(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        record = self._record(request, object_id)
        work = lambda: services.approve_commission(record, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Approved."), self._back(object_id))

    @action(
        description=_("Clear the referral's flag"),
        url_path="clear-flag",
        icon="flag",
        permissions=["flag_review"],
        dialog={
            "title": _("Clear the referral's flag: not fraud"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Clear the flag"),
        },
    )
    def clear_referral_flags(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        record = self._record(request, object_id)
        referral_id = cast(int, record.referral_id)
        work = lambda: services.review_referral_flags(referral_id, confirmed=False, actor=request.user)  # noqa: E731
        done = _("Flag cleared: the commission can be approved.")
        return run_service(self, request, work, done, self._back(object_id))

    @action(
        description=_("Confirm fraud"),
        url_path="confirm-fraud",
        icon="report",
        permissions=["flag_review"],
        dialog={
            "title": _("Confirm fraud: reject the referral's unpaid commissions"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Confirm fraud"),
        },
    )
    def confirm_fraud(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        record = self._record(request, object_id)
        referral_id = cast(int, record.referral_id)
        work = lambda: services.review_referral_flags(referral_id, confirmed=True, actor=request.user)  # noqa: E731
        done = _("Fraud confirmed: the referral's unpaid commissions are rejected.")
        return run_service(self, request, work, done, self._back(object_id))

    @action(
        description=_("Calculate commissions now"),
        url_path="calculate",
        icon="calculate",
        permissions=["calculate"],
        dialog={
            "title": _("Run the commission calculation and the hold-period approvals now"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Run now"),
        },
    )
    def calculate_now(self, request: HttpRequest, form: ConfirmDialogForm) -> HttpResponse:
        """The commission run and the hold-period approvals of the beat schedule, at once."""
        url = reverse("admin:affiliates_commissionledger_changelist")
        work = lambda: run_periodic_jobs(COMMISSION_TASKS, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Commissions calculated and due ones approved."), url)

    @action(
        description=_("Reject"),
        url_path="reject",
        icon="block",
        permissions=["review"],
        dialog={"title": _("Reject the commission"), "form_class": ReasonDialogForm, "form_submit_text": _("Reject")},
    )
    def reject_record(self, request: HttpRequest, form: ReasonDialogForm, object_id: str) -> HttpResponse:
        record = self._record(request, object_id)
        reason = form.cleaned_data["reason"]
        work = lambda: services.reject_commissions([record.pk], reason=reason, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Rejected unless paid."), self._back(object_id))

    @action(
        description=_("Correct"),
        url_path="correct",
        icon="edit",
        permissions=["review"],
        dialog={"title": _("Correct the amount"), "form_class": CorrectDialogForm, "form_submit_text": _("Save")},
    )
    def correct_record(self, request: HttpRequest, form: CorrectDialogForm, object_id: str) -> HttpResponse:
        record = self._record(request, object_id)
        amount, comment = form.cleaned_data["amount"], form.cleaned_data["comment"]
        work = lambda: services.correct_commission(record, amount=amount, comment=comment, actor=request.user)  # noqa: E731
        return run_service(self, request, work, _("Amount corrected."), self._back(object_id))
