"""Lead imports in the admin: upload, preview, start, progress and the rejected-rows report; assignment rules."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from crm.core.admin import back_to
from crm.core.exceptions import DomainError
from crm.core.files import signed_file_url
from crm.customers.forms import ConfirmDialogForm
from crm.sales.admin.forms import LeadImportForm
from crm.sales.models import AssignmentRule, LeadImport
from crm.sales.models.imports import LeadImportQuerySet
from crm.sales.services import imports, rules
from crm.users.requests import staff_user

READONLY = (
    "original_name",
    "status",
    "progress",
    "encoding",
    "mapping",
    "defaults",
    "batch_size",
    "rows_imported",
    "rows_rejected",
    "report_link",
    "error",
    "preview",
    "created_at",
    "started_at",
    "finished_at",
)


@admin.register(LeadImport)
class LeadImportAdmin(ModelAdmin):
    form = LeadImportForm
    list_display = (
        "id",
        "original_name",
        "owner",
        "status",
        "progress",
        "rows_imported",
        "rows_rejected",
        "created_at",
    )
    list_select_related = ("owner",)
    list_filter = ("status",)
    show_full_result_count = False
    actions_detail = ["start", "resume"]
    change_form_template = "admin/sales/leadimport/change_form.html"
    request: HttpRequest | None = None

    def get_queryset(self, request: HttpRequest):
        self.request = request
        return cast(LeadImportQuerySet, super().get_queryset(request)).visible_to(request.user)

    def get_fields(self, request: HttpRequest, obj: LeadImport | None = None) -> list[str]:  # type: ignore[override]  # a list of names is a field list (list is invariant)
        if obj is None:
            return [
                "file",
                "mapping",
                "source",
                "campaign",
                "sales_status",
                "desk",
                "sales_person",
                "assign",
                "batch_size",
            ]
        return list(READONLY)

    def get_readonly_fields(self, request: HttpRequest, obj: LeadImport | None = None) -> list[str]:
        return list(READONLY) if obj is not None else []

    def get_form(self, request: HttpRequest, obj: LeadImport | None = None, change: bool = False, **kwargs: Any):
        self.request = request
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: LeadImport, form: LeadImportForm, change: bool) -> None:
        form.instance = form.saved  # created by the service while validating

    def response_add(
        self, request: HttpRequest, obj: LeadImport, post_url_continue: str | None = None
    ) -> HttpResponse:
        messages.info(request, _("Check the preview below, then start the import."))
        return HttpResponseRedirect(reverse("admin:sales_leadimport_change", args=[obj.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sales.import_leads")

    def has_change_permission(self, request: HttpRequest, obj: LeadImport | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LeadImport | None = None) -> bool:
        return False

    def has_import_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("sales.import_leads")

    @display(description=_("Progress"))
    def progress(self, obj: LeadImport) -> str:
        total = "?" if obj.rows_total is None else f"{obj.rows_total:,}"
        return format_html(
            '<div style="min-width:8rem"><div style="background:#e5e7eb;border-radius:4px;height:6px">'
            '<div style="background:#16a34a;border-radius:4px;height:6px;width:{}%"></div></div>'
            "<small>{}% · {} / {}</small></div>",
            obj.percent,
            obj.percent,
            f"{obj.rows_done:,}",
            total,
        )

    @display(description=_("Rejected rows"))
    def report_link(self, obj: LeadImport) -> str:
        if not obj.report or self.request is None:
            return "-"
        url = signed_file_url(obj.report, user=self.request.user)
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Download the report (CSV)"))

    @display(description=_("Preview"))
    def preview(self, obj: LeadImport) -> str:
        if obj.status != LeadImport.Status.PREVIEW:
            return "-"
        try:
            data = imports.preview_import(obj)
        except Exception:  # a file gone from storage must not break the page
            return str(_("The file cannot be read."))
        columns = list(obj.mapping)
        head = format_html_join("", "<th class='px-2 text-left'>{}</th>", ((c,) for c in ["row", *columns, "result"]))
        body = format_html_join(
            "",
            "<tr class='border-t'>{}</tr>",
            (
                (
                    format_html_join(
                        "",
                        "<td class='px-2'>{}</td>",
                        (
                            (value,)
                            for value in [
                                row["row"],
                                *[row["values"].get(c, "") for c in columns],
                                "; ".join(row["errors"]) or "OK",
                            ]
                        ),
                    ),
                )
                for row in data["rows"]
            ),
        )
        return format_html("<table class='text-xs'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)

    def _detail(self, request: HttpRequest, object_id: str, work, done: StrOrPromise) -> HttpResponse:
        job = self.get_object(request, object_id)
        if job is None:
            return back_to(request, reverse("admin:sales_leadimport_changelist"))
        try:
            work(job)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return back_to(request, reverse("admin:sales_leadimport_change", args=[job.pk]))

    @action(
        description=_("Start import"),
        url_path="start",
        icon="play_arrow",
        permissions=["import"],
        dialog={"title": _("Start the import"), "form_class": ConfirmDialogForm, "form_submit_text": _("Start")},
    )
    def start(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        return self._detail(
            request, object_id, lambda job: imports.start_import(job, actor=staff_user(request)), _("Import started.")
        )

    @action(
        description=_("Resume"),
        url_path="resume",
        icon="replay",
        permissions=["import"],
        dialog={"title": _("Resume the import"), "form_class": ConfirmDialogForm, "form_submit_text": _("Resume")},
    )
    def resume(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        return self._detail(
            request, object_id, lambda job: imports.resume_import(job, actor=staff_user(request)), _("Import resumed.")
        )


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ModelAdmin):
    list_display = ("name", "priority", "is_active", "countries", "languages", "sources", "desk", "agent")
    list_select_related = ("desk", "agent")
    list_editable = ("priority", "is_active")
    autocomplete_fields = ("agent",)
    fields = ("name", "priority", "is_active", "countries", "languages", "sources", "desk", "agent")

    def save_model(self, request: HttpRequest, obj: AssignmentRule, form, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in form.cleaned_data if name in rules.RULE_FIELDS}
        try:
            saved = (
                rules.update_rule(obj, actor=staff_user(request), **values)
                if change
                else rules.create_rule(actor=staff_user(request), **values)
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: AssignmentRule) -> None:
        rules.delete_rule(obj, actor=staff_user(request))
