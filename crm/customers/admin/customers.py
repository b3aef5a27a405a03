"""The clients admin: a fast scoped list, bulk actions, and a client page with documents, comments and history."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericInlineModelAdminChecks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, Field, QuerySet, Value
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.admin import GenericTabularInline, ModelAdmin, TabularInline
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
)
from unfold.decorators import action, display

from crm.core.admin import (
    BulkFormActionMixin,
    ObjectActionAdminMixin,
    ReadOnlyAdminMixin,
    ServiceFormAdminMixin,
    back_to,
)
from crm.core.admin_changelist import QuickActionCheckboxMixin
from crm.core.admin_filters import KeptChoicesDropdownFilter
from crm.core.exports.admin import ExportAdminMixin
from crm.core.models import Activity
from crm.core.paginator import EstimatedCountPaginator
from crm.core.roles import fields_refused
from crm.customers import services
from crm.customers.admin import filters
from crm.customers.admin.helpers import (
    DOCUMENT_COLOURS,
    KYC_LABELS,
    STATUS_LABELS,
    colour_badge,
    download_link,
    masked_changes,
)
from crm.customers.admin.onboarding import ImpersonationMixin
from crm.customers.forms import (
    AssignAgentsForm,
    ChangeStatusForm,
    ConfirmDialogForm,
    CustomerForm,
    EmailClientForm,
    KycApproveForm,
    LogCallForm,
    OptionalReasonDialogForm,
    SetSalesStatusForm,
)
from crm.customers.models import Call, Comment, Customer, CustomerQuerySet, Document, country_value
from crm.customers.privacy import can_view_personal_data, mask_email, mask_phone
from crm.users.requests import staff_user

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "language",
    "currency",
    "country",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
)
SALES_FIELDS = (
    "client_type",
    "roles",
    "groups",
    "conversion_agent",
    "retention_agent",
    "sales_status",
    "risk_status",
    "introducer",
)
SOURCE_FIELDS = ("source", "external_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
ACCOUNT_FIELDS = ("status", "kyc_status", "verification_level", "kyc_reviewed_by", "kyc_reviewed_at")
# The status columns' texts as get_status_display() and get_kyc_status_display() look them up (lazy, in the
# request's language), without flattening the field's choices again for every row.
_STATUS_TEXTS = dict(Customer._meta.get_field("status").flatchoices)
_KYC_TEXTS = dict(Customer._meta.get_field("kyc_status").flatchoices)
# A country's name per code and language (django-countries looks it up and translates it on every call: about a
# sixth of the clients changelist's rows, profiled); the names are fixed by the installed catalogues and settings.
_COUNTRY_NAMES: dict[tuple[str, str | None], str] = {}
_COUNTRY_NAMES_KEPT = 4096
DATE_FIELDS = (
    "registered_at",
    "confirmed_at",
    "last_login_at",
    "last_activity_at",
    "last_contact_at",
    "last_comment_at",
    "first_deposit_at",
    "last_deposit_at",
    "deposit_count",
    "open_positions_count",
)


# Inlines of the client page -------------------------------------------------------------


class DocumentInline(TabularInline):
    """The client's KYC documents with signed download links; review happens on the document page."""

    model = Document
    tab = True
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("document_type", "status_label", "download", "original_name", "created_at", "reviewed_by", "review")
    readonly_fields = fields
    ordering = ("-created_at",)
    request: HttpRequest | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("reviewed_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description=_("Status"))
    def status_label(self, obj: Document) -> str:
        # Inline read-only cells do not render unfold's label tuples: the badge is built here.
        return colour_badge(obj.get_status_display(), DOCUMENT_COLOURS[obj.status])

    @display(description=_("File"))
    def download(self, obj: Document) -> str:
        if self.request is None:
            return "-"
        return download_link(obj, self.request.user)

    @display(description=_("Review"))
    def review(self, obj: Document) -> str:
        if obj.status != Document.Status.NEW:
            return obj.rejection_reason or "-"
        url = reverse("admin:customers_document_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Approve or reject"))


class CommentInline(TabularInline):
    """Staff notes, newest first; new notes are added through `services.add_comment`."""

    model = Comment
    tab = True
    extra = 1
    can_delete = False
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")
    ordering = ("-created_at",)
    per_page = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.add_comment")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.view_comment")


class CallInline(TabularInline):
    """Calls agents logged with the client and their outcome; a new row is logged through `services.log_call`."""

    model = Call
    tab = True
    extra = 1
    can_delete = False
    fields = ("outcome", "note", "agent", "created_at")
    readonly_fields = ("agent", "created_at")
    ordering = ("-created_at",)
    per_page = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("agent")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.add_call")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.view_call")


class _ActivityTargetChecks(GenericInlineModelAdminChecks):
    # Activity points at its target by (target_type, target_id) without a GenericForeignKey; the generic
    # formset only needs those two fields, and this inline never saves.
    def _check_relation(self, obj, parent_model) -> list:
        return []


class HistoryInline(ReadOnlyAdminMixin, GenericTabularInline):
    """What happened to the client, by whom, with old and new values (personal data masked as elsewhere)."""

    checks_class = _ActivityTargetChecks
    model = Activity
    ct_field = "target_type"
    ct_fk_field = "target_id"
    tab = True
    extra = 0
    can_delete = False
    verbose_name = _("history entry")
    verbose_name_plural = _("history")
    fields = ("created_at", "actor_name", "channel", "action", "change_list")
    readonly_fields = fields
    per_page = 20
    request: HttpRequest | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Activity.objects.select_related("actor").order_by("-created_at", "-id")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may open the client may read its history.
        return request.user.has_perm("customers.view_customer")

    @display(description=_("By"))
    def actor_name(self, obj: Activity) -> str:
        return str(obj.actor) if obj.actor else obj.actor_repr

    @display(description=_("Changes"))
    def change_list(self, obj: Activity) -> str:
        show = self.request is not None and can_view_personal_data(self.request.user)
        rows = masked_changes(obj.changes, show_personal=show)
        if not rows:
            # Ids of other rows (comment_id, call_id ...) mean nothing to people: the facts beside them do.
            facts = [(key, value) for key, value in (obj.data or {}).items() if value and not key.endswith("_id")]
            return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in facts) or "-"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            ((self._label(name), self._shown(name, old), self._shown(name, new)) for name, old, new in rows),
        )

    @staticmethod
    def _label(name: str) -> StrOrPromise:
        try:
            return capfirst(cast(Field, Customer._meta.get_field(name)).verbose_name)  # history names concrete fields
        except FieldDoesNotExist:
            return name

    def _shown(self, name: str, value: Any) -> str:
        """A stored value as people read it: the name of a related row, a choice's label, "-" for none."""
        if value in (None, "", []):
            return "-"
        try:
            field = cast(Field, Customer._meta.get_field(name))  # history names concrete fields
        except FieldDoesNotExist:
            return str(value)
        if field.is_relation:
            ids = value if isinstance(value, list) else [value]
            names = self._names(field.related_model, ids)
            return ", ".join(names.get(str(pk), f"#{pk}") for pk in ids)
        return str(dict(field.flatchoices).get(value, value)) if field.choices else str(value)

    def _names(self, model, ids: list) -> dict[str, str]:
        # Memoised per request (inline instances are per request), so a page of 20 rows asks each row at most once.
        memo = self.__dict__.setdefault("_name_memo", {})
        missing = [pk for pk in ids if (model, str(pk)) not in memo]
        if missing:
            for row in model._default_manager.filter(pk__in=missing):
                memo[(model, str(row.pk))] = str(row)
        return {str(pk): memo[(model, str(pk))] for pk in ids if (model, str(pk)) in memo}


# The client admin ----------------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(
    QuickActionCheckboxMixin,
    ImpersonationMixin,
    ExportAdminMixin,
    ServiceFormAdminMixin,
    BulkFormActionMixin,
    ObjectActionAdminMixin,
    ModelAdmin,
):
    form = CustomerForm
    list_display = (
        "name",
        "email_shown",
        "phone_shown",
        "country_name",
        "status_label",
        "kyc_label",
        "sales_status_badge",
        "agents",
        "registered_at",
    )
    list_display_links = ("name",)
    list_select_related = ("conversion_agent", "retention_agent", "sales_status")
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # a count of every client on each page cost more than the page itself
    list_per_page = 50
    list_filter_submit = True
    search_fields = ("email",)  # needed for autocompletes; the real search is get_search_results
    search_help_text = _("Id, email prefix, last name prefix, or phone prefix (+44...)")
    autocomplete_fields = ("conversion_agent", "retention_agent", "introducer")
    ordering = ("-registered_at", "-id")
    export_permission = "customers.export_customer"
    export_fields = (
        "id",
        "first_name",
        "last_name",
        "email_shown",
        "phone_shown",
        "country_name",
        "status",
        "kyc_status",
        "sales_status",
        "conversion_agent",
        "retention_agent",
        "registered_at",
        "first_deposit_at",
        "deposit_count",
    )
    actions = [*ExportAdminMixin.actions, "assign_agents_action", "change_status_action", "set_sales_status_action"]
    actions_detail = [
        "log_call_action",
        "email_client_action",
        "approve_kyc",
        "revoke_kyc",
        "reset_kyc",
        "toggle_bookmark",
        "impersonate",
    ]
    inlines = (DocumentInline, CommentInline, CallInline, HistoryInline)
    bulk_noun, bulk_noun_plural = _("client"), _("clients")
    bulk_done_message = _("%(count)d client(s) changed.")

    def get_list_filter(self, request: HttpRequest) -> list:
        list_filter: list = [
            ("status", ChoicesDropdownFilter),
            ("kyc_status", ChoicesDropdownFilter),
            ("country", ChoicesDropdownFilter),
            filters.ClientGroupFilter,
            filters.ClientRoleFilter,
            filters.SourceFilter,
            ("sales_status", KeptChoicesDropdownFilter),
            ("risk_status", ChoicesDropdownFilter),
        ]
        # Picking agents needs the staff list (users.view_user); agents only see their own clients anyway.
        if request.user.has_perm("users.view_user"):
            list_filter += [
                ("conversion_agent", AutocompleteSelectFilter),
                ("retention_agent", AutocompleteSelectFilter),
            ]
        list_filter += [
            ("introducer", AutocompleteSelectFilter),
            ("registered_at", filters.DayRangeFilter),
            ("last_activity_at", filters.DayRangeFilter),
            filters.HasFtdFilter,
            filters.DepositCountFilter,
            filters.ActivityFilter,
            filters.OpenPositionsFilter,
            filters.BookmarkedFilter,
        ]
        return list_filter

    # Scope and search ---------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        show = can_view_personal_data(request.user)
        return (
            Customer.objects.visible_to(request.user)
            .select_related(*self.list_select_related)
            .annotate(show_personal_data=Value(show, output_field=BooleanField()))
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        return cast(CustomerQuerySet, queryset).search(search_term), False

    # Columns --------------------------------------------------------------------------

    @display(description=_("Name"), ordering="last_name")
    def name(self, obj: Customer) -> str:
        return f"{obj.full_name or '-'} (#{obj.pk})"

    @display(description=_("Email"), ordering="email")
    def email_shown(self, obj: Customer) -> str:
        return obj.email if getattr(obj, "show_personal_data", False) else mask_email(obj.email)

    @display(description=_("Phone"))
    def phone_shown(self, obj: Customer) -> str:
        # str() once: a phone number's truth value (`or ""`) formats it as well.
        phone = "" if obj.phone is None else str(obj.phone)
        return phone if getattr(obj, "show_personal_data", False) else mask_phone(phone)

    @display(description=_("Country"), ordering="country")
    def country_name(self, obj: Customer) -> str:
        country = country_value(obj.country)  # read once: the field makes a Country (a code lookup) on every read
        if not country:
            return "-"
        key = (country.code, get_language())
        name = _COUNTRY_NAMES.get(key)
        if name is None:
            name = str(country.name)
            if len(_COUNTRY_NAMES) < _COUNTRY_NAMES_KEPT:
                _COUNTRY_NAMES[key] = name
        return name

    @display(description=_("Status"), label=STATUS_LABELS, ordering="status")
    def status_label(self, obj: Customer) -> tuple[str, str]:
        return obj.status, force_str(_STATUS_TEXTS.get(obj.status, obj.status))

    @display(description=_("KYC"), label=KYC_LABELS, ordering="kyc_status")
    def kyc_label(self, obj: Customer) -> tuple[str, str]:
        return obj.kyc_status, force_str(_KYC_TEXTS.get(obj.kyc_status, obj.kyc_status))

    @display(description=_("Sales status"), ordering="sales_status__sort_order")
    def sales_status_badge(self, obj: Customer) -> str:
        if obj.sales_status is None:
            return "-"
        return colour_badge(obj.sales_status.name, obj.sales_status.color)

    @display(description=_("Agents"))
    def agents(self, obj: Customer) -> str:
        names = [str(agent) for agent in (obj.conversion_agent, obj.retention_agent) if agent]
        return " / ".join(names) or "-"

    # Change page ------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> list:
        profile = list(PROFILE_FIELDS)
        if obj is not None and not can_view_personal_data(request.user):
            profile[profile.index("email")] = "email_shown"
            profile[profile.index("phone")] = "phone_shown"
        sales = list(SALES_FIELDS)
        if obj is None:
            # A new client's fields the role may not set are left out (an agent's new client is theirs).
            refused = fields_refused(request.user, "customers.customer", sales)
            sales = [name for name in sales if name not in refused]
        fieldsets = [
            (_("Profile"), {"fields": profile, "classes": ["tab"]}),
            (_("Sales"), {"fields": sales, "classes": ["tab"]}),
            (_("Source"), {"fields": SOURCE_FIELDS, "classes": ["tab"]}),
        ]
        if obj is not None:
            fieldsets += [
                (_("Account and KYC"), {"fields": ACCOUNT_FIELDS, "classes": ["tab"]}),
                (_("Dates"), {"fields": DATE_FIELDS, "classes": ["tab"]}),
            ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        readonly = ["email_shown", "phone_shown", *ACCOUNT_FIELDS, *DATE_FIELDS]
        # What the role may not change (roles.FIELD_RIGHTS, which the service enforces for the API too).
        return readonly + fields_refused(request.user, "customers.customer", [*PROFILE_FIELDS, *SALES_FIELDS])

    def get_inlines(self, request: HttpRequest, obj: Customer | None) -> list:
        return list(self.inlines) if obj is not None else []

    def get_inline_instances(self, request: HttpRequest, obj: Customer | None = None) -> list:
        instances = super().get_inline_instances(request, obj)
        for inline in instances:
            inline.request = request  # type: ignore[attr-defined]  # instances are per request: links are signed for this user
        return instances

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "introducer":
            kwargs["queryset"] = Customer.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: CustomerForm, formsets: list, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: CustomerForm, formset, change: bool) -> None:
        # Inline formsets never write by themselves: documents and history are read-only here and
        # new comments and calls go through the services.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.extra_forms:
            if not row.has_changed():
                continue
            data = row.cleaned_data
            if formset.model is Comment and data.get("body"):
                formset.new_objects.append(
                    services.add_comment(form.instance, body=data["body"], actor=staff_user(request))
                )
            elif formset.model is Call and data.get("outcome"):
                formset.new_objects.append(
                    services.log_call(
                        form.instance, outcome=data["outcome"], note=data.get("note", ""), actor=staff_user(request)
                    )
                )

    def has_delete_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        # Clients are never deleted from the admin; their status becomes "deleted".
        return False

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customers.assign_customer")

    def has_change_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customers.change_customer_status")

    # Unfold's checks look dotted permissions up in the database, which fails before the first migrate.
    def has_manage_kyc_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("customers.manage_kyc")

    def has_log_call_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("customers.add_call")

    def has_email_client_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("customers.email_customer")

    def has_bookmark_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("customers.add_bookmark")

    # Bulk actions ----------------------------------------------------------------------

    @admin.action(description=_("Assign agent"), permissions=["assign"])
    def assign_agents_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.run_bulk_action(
            request,
            queryset,
            form_class=AssignAgentsForm,
            title=_("Assign an agent to the selected clients"),
            apply=lambda form: services.assign_agents(
                queryset, actor=staff_user(request), **cast(AssignAgentsForm, form).agent_values()
            ),
        )

    @admin.action(description=_("Change status"), permissions=["change_status"])
    def change_status_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.run_bulk_action(
            request,
            queryset,
            form_class=ChangeStatusForm,
            title=_("Change the status of the selected clients"),
            apply=lambda form: services.change_status(
                queryset, status=form.cleaned_data["status"], actor=staff_user(request)
            ),
        )

    @admin.action(description=_("Set sales status"), permissions=["change"])
    def set_sales_status_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.run_bulk_action(
            request,
            queryset,
            form_class=SetSalesStatusForm,
            title=_("Set the sales status of the selected clients"),
            apply=lambda form: services.set_sales_status(
                queryset, sales_status=form.cleaned_data["sales_status"], actor=staff_user(request)
            ),
        )

    # Detail actions (dialogs: a link never changes anything) ---------------------------------

    def _visible_customer(self, request: HttpRequest, object_id: str) -> Customer:
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404
        return customer

    @action(
        description=_("Log a call"),
        url_path="log-call",
        icon="call",
        permissions=["log_call"],
        dialog={"title": _("Log a call"), "form_class": LogCallForm, "form_submit_text": _("Log the call")},
    )
    def log_call_action(self, request: HttpRequest, form: LogCallForm, object_id: str) -> HttpResponse:
        return self.run_object_action(
            request,
            object_id,
            lambda c: services.log_call(
                c,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data.get("note", ""),
                actor=staff_user(request),
            ),
            _("Call logged."),
        )

    @action(
        description=_("Email the client"),
        url_path="email",
        icon="mail",
        permissions=["email_client"],
        dialog={"title": _("Email the client"), "form_class": EmailClientForm, "form_submit_text": _("Send")},
    )
    def email_client_action(self, request: HttpRequest, form: EmailClientForm, object_id: str) -> HttpResponse:
        return self.run_object_action(
            request,
            object_id,
            lambda c: services.email_customer(
                c, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"], actor=staff_user(request)
            ),
            _("Email sent."),
        )

    @action(
        description=_("Approve KYC"),
        url_path="approve-kyc",
        icon="verified",
        permissions=["manage_kyc"],
        dialog={"title": _("Approve KYC"), "form_class": KycApproveForm, "form_submit_text": _("Approve")},
    )
    def approve_kyc(self, request: HttpRequest, form: KycApproveForm, object_id: str) -> HttpResponse:
        level = form.cleaned_data.get("level")
        return self.run_object_action(
            request,
            object_id,
            lambda c: services.approve_kyc(c, actor=staff_user(request), level=level),
            lambda c: _("KYC approved: %(level)s.") % {"level": c.verification_level or _("no level")},
        )

    @action(
        description=_("Revoke KYC"),
        url_path="revoke-kyc",
        icon="gpp_bad",
        permissions=["manage_kyc"],
        dialog={"title": _("Revoke KYC"), "form_class": OptionalReasonDialogForm, "form_submit_text": _("Revoke")},
    )
    def revoke_kyc(self, request: HttpRequest, form: OptionalReasonDialogForm, object_id: str) -> HttpResponse:
        reason = form.cleaned_data.get("reason", "")
        return self.run_object_action(
            request,
            object_id,
            lambda c: services.revoke_kyc(c, actor=staff_user(request), reason=reason),
            _("KYC revoked."),
        )

    @action(
        description=_("Reset KYC"),
        url_path="reset-kyc",
        icon="restart_alt",
        permissions=["manage_kyc"],
        dialog={
            "title": _("Reset KYC"),
            "description": _("The client starts KYC over at the default verification level."),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Reset"),
        },
    )
    def reset_kyc(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        return self.run_object_action(
            request, object_id, lambda c: services.reset_kyc(c, actor=staff_user(request)), _("KYC reset.")
        )

    @action(
        description=_("Bookmark"),
        url_path="bookmark",
        icon="bookmark",
        permissions=["bookmark"],
        dialog={
            "title": _("Bookmark"),
            "description": _("Add the client to your bookmarks, or remove it when it is there."),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Toggle bookmark"),
        },
    )
    def toggle_bookmark(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        customer = self._visible_customer(request, object_id)
        if customer.bookmarks.filter(user=staff_user(request)).exists():
            services.remove_bookmark(customer, user=staff_user(request))
            self.message_user(request, _("Bookmark removed."), messages.SUCCESS)
        else:
            services.bookmark_customer(customer, user=staff_user(request))
            self.message_user(request, _("Bookmarked."), messages.SUCCESS)
        return back_to(request, reverse("admin:customers_customer_change", args=[customer.pk]))
