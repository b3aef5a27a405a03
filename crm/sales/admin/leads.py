"""The leads admin: "my leads" first, fast at a million rows, with the lead page an agent works from."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import action, display

from crm.core.admin import BulkFormActionMixin, ObjectActionAdminMixin, ServiceFormAdminMixin, back_to
from crm.core.admin_changelist import QuickActionCheckboxMixin
from crm.core.admin_filters import KeptChoicesDropdownFilter
from crm.core.exports.admin import ExportAdminMixin
from crm.core.paginator import EstimatedCountPaginator
from crm.customers.admin.filters import DayRangeFilter
from crm.customers.admin.helpers import colour_badge
from crm.sales import selectors, services
from crm.sales.admin import filters
from crm.sales.admin.forms import (
    AssignLeadsForm,
    ClaimDialogForm,
    FollowUpDialogForm,
    LeadForm,
    LeadStatusForm,
    MergeDialogForm,
    SendEmailDialogForm,
)
from crm.sales.admin.inlines import LeadCommentInline, LeadCommunicationInline, LeadHistoryInline
from crm.sales.models import Lead, LeadComment, LeadQuerySet
from crm.users.requests import staff_user

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "country", "language", "can_be_called")
WORK_FIELDS = ("sales_status", "sales_person", "desk")
SOURCE_FIELDS = (
    "source",
    "campaign",
    "affiliate",
    "external_id",
    "sub_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
STATE_FIELDS = (
    "last_contact_at",
    "follow_up_at",
    "follow_up_note",
    "duplicate_score",
    "duplicate_of",
    "duplicate_customer",
    "merged_into",
    "customer",
    "converted_at",
    "signup_code",
    "created_at",
    "updated_at",
)


@admin.register(Lead)
class LeadAdmin(
    QuickActionCheckboxMixin,
    ExportAdminMixin,
    ServiceFormAdminMixin,
    BulkFormActionMixin,
    ObjectActionAdminMixin,
    ModelAdmin,
):
    form = LeadForm
    # "Show all" beside a search's result count: every lead the user may see, not the default "My leads".
    show_all_query = "assigned=all"
    list_display = (
        "name",
        "email",
        "phone",
        "country_code",
        "status_badge",
        "sales_person",
        "desk",
        "source",
        "last_contact_at",
        "follow_up_at",
        "duplicate_flag",
        "created_at",
    )
    list_display_links = ("name",)
    list_select_related = ("sales_status", "sales_person", "desk")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    list_filter_submit = True
    search_fields = ("email",)  # the real search is get_search_results
    search_help_text = _("Id, email prefix, last name prefix, first and last name, or phone prefix (+44...)")
    autocomplete_fields = ("sales_person", "affiliate")
    ordering = ("-created_at", "-id")
    export_permission = "sales.export_lead"
    actions = [*ExportAdminMixin.actions, "assign_selected", "change_status_selected", "claim_selected"]
    actions_detail = ["claim", "send_email", "follow_up", "merge"]
    inlines = (LeadCommentInline, LeadCommunicationInline, LeadHistoryInline)
    bulk_done_message = _("%(count)d lead(s) changed.")

    def get_list_filter(self, request: HttpRequest) -> list:
        list_filter: list = [filters.AssignedFilter, ("sales_status", KeptChoicesDropdownFilter)]
        if request.user.has_perm("users.view_user"):
            list_filter.append(("sales_person", AutocompleteSelectFilter))
        return [
            *list_filter,
            ("desk", KeptChoicesDropdownFilter),
            ("country", ChoicesDropdownFilter),
            filters.SourceFilter,
            filters.FollowUpFilter,
            filters.DuplicateFilter,
            filters.ConvertedFilter,
            ("created_at", DayRangeFilter),
            ("updated_at", DayRangeFilter),
        ]

    # Scope and search ---------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = Lead.objects.visible_to(request.user).select_related(*self.list_select_related)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("changelist"):
            queryset = queryset.active()  # merged leads open from their links, but leave the list
        return queryset

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        return cast(LeadQuerySet, queryset).search(search_term), False

    # Columns --------------------------------------------------------------------------

    @display(description=_("Name"), ordering="last_name")
    def name(self, obj: Lead) -> str:
        return f"{obj.full_name or '-'} (#{obj.pk})"

    @display(description=_("Country"), ordering="country")
    def country_code(self, obj: Lead) -> str:
        # The code, not the field's display: that would flatten 250 country choices on every row.
        # The field makes a Country (a code lookup) on every read: read it once.
        country = obj.country
        return str(country.code or "-") if country else "-"  # type: ignore[attr-defined]  # a Country (no stubs)

    @display(description=_("Status"), ordering="sales_status__sort_order")
    def status_badge(self, obj: Lead) -> str:
        return colour_badge(obj.sales_status.name, obj.sales_status.color) if obj.sales_status else "-"

    @display(description=_("Duplicate"), label={True: "danger"})
    def duplicate_flag(self, obj: Lead) -> tuple[bool, str] | str:
        return (True, f"{obj.duplicate_score}") if obj.duplicate_score else "-"

    # Change page ------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Lead | None = None) -> list:
        fieldsets = [
            (_("Contact"), {"fields": CONTACT_FIELDS, "classes": ["tab"]}),
            (_("Work"), {"fields": WORK_FIELDS, "classes": ["tab"]}),
            (_("Source"), {"fields": SOURCE_FIELDS, "classes": ["tab"]}),
        ]
        if obj is not None:
            fieldsets.append((_("State"), {"fields": STATE_FIELDS, "classes": ["tab"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Lead | None = None) -> list[str]:
        readonly = list(STATE_FIELDS)
        if not request.user.has_perm("sales.assign_lead"):
            readonly += ["sales_person", "desk"]
        if obj is not None and obj.merged_into_id:
            readonly += [*CONTACT_FIELDS, *WORK_FIELDS, *SOURCE_FIELDS]
        return readonly

    def get_inlines(self, request: HttpRequest, obj: Lead | None) -> list:
        return list(self.inlines) if obj is not None else []

    def get_inline_instances(self, request: HttpRequest, obj: Lead | None = None) -> list:
        instances = super().get_inline_instances(request, obj)
        for inline in instances:
            inline.request = request  # type: ignore[attr-defined]  # the lead inlines read it
        return instances

    def save_related(self, request: HttpRequest, form: LeadForm, formsets: list, change: bool) -> None:
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is not LeadComment:
                continue
            for comment_form in formset.extra_forms:
                body = comment_form.cleaned_data.get("body") if comment_form.has_changed() else None
                if body:
                    comment = services.add_lead_comment(form.instance, body=body, actor=staff_user(request))
                    formset.new_objects.append(comment)

    def has_delete_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        # Leads are never deleted: duplicates are merged, so nothing is lost.
        return False

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sales.assign_lead")

    def has_bulk_edit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sales.bulk_edit_leads")

    def has_claim_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("sales.claim_lead")

    def has_email_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("sales.send_lead_email")

    def has_merge_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("sales.merge_leads")

    # Bulk actions ----------------------------------------------------------------------

    @admin.action(description=_("Assign to a sales person"), permissions=["assign", "bulk_edit"])
    def assign_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.run_bulk_action(
            request,
            queryset,
            form_class=AssignLeadsForm,
            title=_("Assign the selected leads"),
            apply=lambda form: services.bulk_edit_leads(
                queryset, actor=staff_user(request), sales_person=form.cleaned_data["sales_person"]
            ),
        )

    @admin.action(description=_("Change sales status"), permissions=["bulk_edit"])
    def change_status_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.run_bulk_action(
            request,
            queryset,
            form_class=LeadStatusForm,
            title=_("Change the sales status of the selected leads"),
            apply=lambda form: services.bulk_edit_leads(
                queryset, actor=staff_user(request), sales_status=form.cleaned_data["sales_status"]
            ),
        )

    @admin.action(description=_("Claim selected unassigned leads"), permissions=["claim"])
    def claim_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        claimed = 0
        for lead in queryset.filter(sales_person__isnull=True).order_by("pk"):
            services.claim_lead(lead, actor=staff_user(request))
            claimed += 1
        self.message_user(request, _("%(count)d lead(s) claimed.") % {"count": claimed}, messages.SUCCESS)

    # Detail actions ------------------------------------------------------------------------

    @action(
        description=_("Claim"),
        url_path="claim",
        icon="front_hand",
        permissions=["claim"],
        dialog={"title": _("Claim this lead"), "form_class": ClaimDialogForm, "form_submit_text": _("Claim")},
    )
    def claim(self, request: HttpRequest, form: ClaimDialogForm, object_id: str) -> HttpResponse:
        return self.run_object_action(
            request, object_id, lambda lead: services.claim_lead(lead, actor=staff_user(request)), _("Lead claimed.")
        )

    @action(
        description=_("Send email"),
        url_path="send-email",
        icon="mail",
        permissions=["email"],
        dialog={"title": _("Email the lead"), "form_class": SendEmailDialogForm, "form_submit_text": _("Send")},
    )
    def send_email(self, request: HttpRequest, form: SendEmailDialogForm, object_id: str) -> HttpResponse:
        data = form.cleaned_data
        return self.run_object_action(
            request,
            object_id,
            lambda lead: services.send_lead_email(
                lead, subject=data["subject"], body=data["body"], actor=staff_user(request)
            ),
            _("Email sent."),
        )

    @action(
        description=_("Follow up"),
        url_path="follow-up",
        icon="event",
        permissions=["change"],
        dialog={"title": _("Follow-up"), "form_class": FollowUpDialogForm, "form_submit_text": _("Save")},
    )
    def follow_up(self, request: HttpRequest, form: FollowUpDialogForm, object_id: str) -> HttpResponse:
        data = form.cleaned_data
        return self.run_object_action(
            request,
            object_id,
            lambda lead: services.set_follow_up(
                lead, follow_up_at=data.get("follow_up_at"), note=data.get("note", ""), actor=staff_user(request)
            ),
            _("Follow-up saved."),
        )

    @action(
        description=_("Merge a duplicate"),
        url_path="merge",
        icon="merge",
        permissions=["merge"],
        dialog={"title": _("Merge into this lead"), "form_class": MergeDialogForm, "form_submit_text": _("Merge")},
    )
    def merge(self, request: HttpRequest, form: MergeDialogForm, object_id: str) -> HttpResponse:
        other = self.get_queryset(request).filter(pk=form.cleaned_data["other_id"]).first()
        if other is None:
            self.message_user(request, _("No such lead."), messages.ERROR)
            return back_to(request, reverse("admin:sales_lead_change", args=[object_id]))
        return self.run_object_action(
            request,
            object_id,
            lambda lead: services.merge_leads(lead, other, actor=staff_user(request)),
            _("Leads merged."),
        )

    # Agent dashboard ---------------------------------------------------------------------

    def get_urls(self) -> list:
        dashboard = path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="sales_lead_dashboard")
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        data = selectors.agent_dashboard(staff_user(request), now=timezone.localtime())
        changelist = reverse("admin:sales_lead_changelist")
        for row in data["by_status"]:
            status_id = row["sales_status_id"]
            row["badge"] = colour_badge(row["sales_status__name"] or str(_("No status")), row["sales_status__color"])
            row["url"] = f"{changelist}?sales_status__id__exact={status_id}" if status_id else changelist
        context = {
            **self.admin_site.each_context(request),
            "title": _("My sales desk"),
            "opts": self.model._meta,
            **data,
            "follow_up_url": f"{changelist}?follow_up=today",
        }
        return TemplateResponse(request, "admin/sales/lead/dashboard.html", context)

    def lead_link(self, lead: Lead) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:sales_lead_change", args=[lead.pk]), lead)
