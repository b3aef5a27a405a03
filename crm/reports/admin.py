"""Reports in the admin: report pages (a period, sorting, the first rows, XLSX/CSV files), runs with their
progress and files, templates on a schedule (run now, soft delete), and each staff member's admin notifications
(the header's bell opens them)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from crm.core.admin import ReadOnlyAdminMixin, run_service
from crm.core.exceptions import DomainError
from crm.customers.forms import ConfirmDialogForm
from crm.reports import notifications, services
from crm.reports.forms import PeriodForm
from crm.reports.history import jobs as history_jobs
from crm.reports.history import page as history_page
from crm.reports.history.jobs import HistoryReport
from crm.reports.history.query import Direction, Operator
from crm.reports.models import (
    AdminNotification,
    AdminNotificationQuerySet,
    ReportFormat,
    ReportKind,
    ReportRun,
    ReportRunQuerySet,
    ReportTemplate,
    ReportTemplateQuerySet,
)
from crm.reports.scope import scope_for
from crm.reports.sources import SOURCES, sources_for
from crm.users.models import User
from crm.users.requests import staff_user

PAGE_ROWS = 100


def _progress(run: ReportRun) -> str:
    total = "?" if run.rows_total is None else f"{run.rows_total:,}"
    return format_html(
        '<div style="min-width:8rem"><div style="background:#e5e7eb;border-radius:4px;height:6px">'
        '<div style="background:#16a34a;border-radius:4px;height:6px;width:{}%"></div></div>'
        "<small>{}% · {} / {}</small></div>",
        run.percent,
        run.percent,
        f"{run.rows_done:,}",
        total,
    )


RUN_FIELDS = (
    "owner",
    "template",
    "kind",
    "name",
    "params",
    "file_format",
    "notify_emails",
    "status",
    "attempts",
    "progress",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "expires_at",
    "download",
)


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdminMixin, ModelAdmin[ReportRun]):
    list_display = [
        "id", "kind", "name", "period", "file_format", "owner", "status", "progress", "created_at", "download",
    ]  # fmt: skip
    list_filter = ["status", "kind"]
    list_select_related = ["owner", "template"]
    show_full_result_count = False
    fields = RUN_FIELDS
    readonly_fields = RUN_FIELDS
    change_list_template = "admin/reports/reportrun/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportRun]:
        return cast(ReportRunQuerySet, super().get_queryset(request)).visible_to(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reports.delete_reportrun")

    def delete_model(self, request: HttpRequest, obj: ReportRun) -> None:
        services.delete_report_run(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportRun]) -> None:
        for run in queryset:
            self.delete_model(request, run)

    @display(description=_("Period"))
    def period(self, obj: ReportRun) -> str:
        if "start" not in obj.params:
            return "-"  # a history server report: its filters say which rows (see the run's parameters)
        return str(_("%(start)s to %(end)s") % {"start": obj.params["start"], "end": obj.params.get("end", "?")})

    @display(description=_("Progress"))
    def progress(self, obj: ReportRun) -> str:
        return _progress(obj)

    @display(description=_("File"))
    def download(self, obj: ReportRun) -> str:
        if obj.status != ReportRun.Status.DONE or not obj.file:
            return "-"
        # A browser link: valid PRIVATE_LINK_MAX_AGE seconds, for this file only; the rows are scoped by visible_to.
        url = services.download_path(obj, recipient=f"staff:{obj.owner_id}", browser=True)
        return format_html('<a href="{}" class="text-primary-600">{}</a>', url, _("Download"))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        reports = [
            {"title": _(source.title), "url": reverse("admin:reports_report", args=[source.kind])}
            for source in sources_for(request.user)
        ]
        user = request.user
        history_reports = [
            {"title": ReportKind(kind).label, "url": reverse("admin:reports_report", args=[kind])}
            for kind in history_jobs.REPORTS
            if isinstance(user, User) and services.may_report(user, kind)
        ]
        context = {**(extra_context or {}), "reports": reports, "history_reports": history_reports}
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        report = path("report/<str:kind>/", self.admin_site.admin_view(self.report_view), name="reports_report")
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """A report on screen (its first rows) and, on POST, a run that builds the whole file."""
        source = SOURCES.get(kind)
        if source is None and kind not in history_jobs.REPORTS:
            raise Http404
        user = request.user
        if not (isinstance(user, User) and services.may_report(user, kind) and self.has_view_permission(request)):
            raise PermissionDenied
        if source is None:
            return self._history_view(request, history_jobs.REPORTS[kind], user)
        form = PeriodForm(request.GET or None)
        period = form.period()
        sort = request.GET.get("sortBy") or source.default_sort
        params: dict[str, Any] = {"start": period.first.isoformat(), "end": period.last.isoformat(), "sortBy": sort}
        for name in source.filters:
            if request.GET.getlist(name):
                params[name] = request.GET.getlist(name)
        if request.method == "POST":
            return self._start_run(request, kind, params)
        try:
            params = services.clean_params(kind, params)
            rows = list(source.rows(source.queryset(scope_for(user), period, params)[:PAGE_ROWS]))
        except DomainError as exc:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items()) or exc.message)
            rows = []
        context = {
            **self.admin_site.each_context(request),
            "title": _(source.title),
            "opts": self.model._meta,
            "kind": kind,
            "source": source,
            "headers": source.headers,
            "period_form": form,
            "period": period,
            "scope": scope_for(user).label,
            "rows": rows,
            "page_rows": PAGE_ROWS,
            "sort_keys": sorted(source.sort_keys),
            "sort": sort,
            "formats": ReportFormat.choices,
            "can_run": user.has_perm("reports.add_reportrun"),
        }
        return TemplateResponse(request, "admin/reports/report.html", context)

    def _history_view(self, request: HttpRequest, report: HistoryReport, user: User) -> HttpResponse:
        """A history server kind: its rows as a run builds them, the query typed as rows of field, operator, value."""
        query = history_page.query_from(request.GET)
        if request.method == "POST":
            return self._start_run(request, report.kind, query.params())
        rows: list[list[Any]] = []
        try:
            params = services.clean_params(report.kind, query.params())  # as a run and /api/reports check them
            rows = list(report.rows(report.queryset(user, params)[:PAGE_ROWS]))
        except DomainError as exc:
            query.add_errors(exc.fields, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": ReportKind(report.kind).label,
            "opts": self.model._meta,
            "kind": report.kind,
            "query": query,
            "guide": history_page.field_guide(report),
            "operators": Operator.values,
            "sortable": report.source.sortable,
            "directions": [(Direction.ASC, _("ascending")), (Direction.DESC, _("descending"))],
            "headers": report.headers,
            "rows": rows,
            "page_rows": PAGE_ROWS,
            "scope": scope_for(user).label,
            "formats": ReportFormat.choices,
            "can_run": user.has_perm("reports.add_reportrun"),
        }
        return TemplateResponse(request, "admin/reports/history_report.html", context)

    def _start_run(self, request: HttpRequest, kind: str, params: dict[str, Any]) -> HttpResponse:
        user = request.user
        if not (isinstance(user, User) and user.has_perm("reports.add_reportrun")):
            raise PermissionDenied
        file_format = request.POST.get("file_format", ReportFormat.XLSX)
        emails = [email.strip() for email in request.POST.get("notify_emails", "").split(",") if email.strip()]
        try:
            for email in emails:
                forms.EmailField().clean(email)
            run = services.create_report_run(
                owner=user, kind=kind, params=params, file_format=file_format, notify_emails=emails
            )
        except (DomainError, forms.ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))  # type: ignore[union-attr]
            return HttpResponseRedirect(request.get_full_path())
        messages.info(request, _("The report has started; this page shows its progress."))
        return HttpResponseRedirect(reverse("admin:reports_reportrun_change", args=[run.pk]))


PARAMS_HELP = _(
    'A period report: its sorting and filters, e.g. {"sortBy": "-closing"} or {"type": ["deposit"]}; each run '
    "covers the days before it. A history server report (kinds marked so) has no period: "
    '{"filters": [{"entryType": "GreaterThanOrEqual", "field": "createdAt", "value": "2026-11-01T00:00:00Z"}], '
    '"sort": {"field": "createdAt", "direction": "Desc"}}, with the fields and operators of its read model (API '
    "documentation, history server)."
)


class ReportTemplateForm(forms.ModelForm[ReportTemplate]):
    notify_emails = forms.CharField(
        required=False, help_text=_("Comma-separated addresses that get the link when a run is ready.")
    )

    class Meta:
        model = ReportTemplate
        fields = [
            "name",
            "kind",
            "params",
            "period_days",
            "file_format",
            "notify_emails",
            "frequency",
            "days_of_week",
            "base_date",
            "is_enabled",
        ]
        help_texts = {"params": PARAMS_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["notify_emails"] = ", ".join(self.instance.notify_emails)

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is not in django-stubs
        try:
            services.check_template(self.instance)
        except DomainError as exc:
            for name, errors in exc.fields.items():
                if name in self.fields:
                    self.add_error(name, errors)
                else:  # a history report's query: `filters[0].field`, `sort.field`
                    self.add_error("params", [f"{name}: {error}" for error in errors])

    def clean_notify_emails(self) -> list[str]:
        emails = [email.strip() for email in self.cleaned_data["notify_emails"].split(",") if email.strip()]
        for email in emails:
            forms.EmailField().clean(email)
        return emails


class DeletedTemplatesFilter(admin.SimpleListFilter):
    """Live templates unless the deleted ones are asked for (they keep who deleted them and when)."""

    title = _("state")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Live")), ("yes", _("Deleted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset.filter(deleted_at__isnull=True)

    def choices(self, changelist: Any) -> Any:
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "no") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


TEMPLATE_RECORD = ("owner", "created_at", "updated_at", "updated_by", "deleted_at", "deleted_by")


@admin.register(ReportTemplate)
class ReportTemplateAdmin(ModelAdmin[ReportTemplate]):
    form = ReportTemplateForm
    list_display = [
        "name", "kind", "file_format", "frequency", "next_run_at", "last_run_at", "owner", "updated_by", "updated_at",
        "is_enabled",
    ]  # fmt: skip
    list_filter = [DeletedTemplatesFilter, "kind", "frequency", "is_enabled"]
    list_select_related = ["owner", "updated_by", "deleted_by"]
    readonly_fields = ["next_run_at", "last_run_at", *TEMPLATE_RECORD]
    fieldsets = [
        (None, {"fields": ["name", "kind", "params", "period_days", "file_format", "notify_emails"]}),
        (
            _("Schedule"),
            {"fields": ["frequency", "days_of_week", "base_date", "is_enabled", "next_run_at", "last_run_at"]},
        ),
        (_("Record"), {"fields": list(TEMPLATE_RECORD)}),
    ]
    actions = ["run_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportTemplate]:
        rows = cast(ReportTemplateQuerySet, super().get_queryset(request))
        return rows.visible_to(request.user, include_deleted=True)  # DeletedTemplatesFilter shows the live ones

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.GET.get(DeletedTemplatesFilter.parameter_name) == "yes":
            return [*self.list_display, "deleted_at", "deleted_by"]
        return self.list_display

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """Only the kinds whose data the staff member may see (as a report run asks)."""
        form = super().get_form(request, obj, change, **kwargs)
        if "kind" in form.base_fields:
            user = staff_user(request)
            allowed = [(value, label) for value, label in ReportKind.choices if services.may_report(user, value)]
            form.base_fields["kind"].choices = [("", "---------"), *allowed]  # type: ignore[attr-defined]
        return form

    def has_change_permission(self, request: HttpRequest, obj: ReportTemplate | None = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.deleted_at)

    def has_delete_permission(self, request: HttpRequest, obj: ReportTemplate | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.deleted_at)

    def save_model(self, request: HttpRequest, obj: ReportTemplate, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user  # type: ignore[assignment]
        services.save_template(obj, actor=request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: ReportTemplate) -> None:
        services.delete_template(obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportTemplate]) -> None:
        for template in queryset:
            services.delete_template(template, actor=request.user)  # type: ignore[arg-type]

    @admin.action(description=_("Run now"), permissions=["add"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[ReportTemplate]) -> None:
        live = list(cast(ReportTemplateQuerySet, queryset).live())
        for template in live:
            services.run_template(template, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("%(count)d reports started.") % {"count": len(live)})


@admin.register(AdminNotification)
class AdminNotificationAdmin(ReadOnlyAdminMixin, ModelAdmin[AdminNotification]):
    """The staff member's own notifications, unread first; opening one marks it read."""

    list_display = ["id", "type", "summary", "read", "created_at"]
    list_display_links = ["id", "type"]
    list_filter = ["is_read", "type"]
    show_full_result_count = False
    fields = ("type", "data", "is_read", "read_at", "created_at")
    readonly_fields = fields
    actions = ["mark_selected_read"]
    actions_list = ["mark_all_read"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdminNotification]:
        rows = cast(AdminNotificationQuerySet, super().get_queryset(request)).visible_to(request.user)
        return rows.order_by("is_read", "-id")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            notifications.mark_read(request.user, [int(object_id)])
        return response

    @display(description=_("Details"))
    def summary(self, obj: AdminNotification) -> str:
        data = {key: value for key, value in obj.data.items() if key != "type"}
        return ", ".join(f"{key}: {value}" for key, value in sorted(data.items()))[:200]

    @display(description=_("Read"), boolean=True)
    def read(self, obj: AdminNotification) -> bool:
        return obj.is_read

    @admin.action(description=_("Mark as read"), permissions=["view"])
    def mark_selected_read(self, request: HttpRequest, queryset: QuerySet[AdminNotification]) -> None:
        count = notifications.mark_read(request.user, queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d notifications marked read.") % {"count": count})

    @action(
        description=_("Mark all as read"),
        url_path="mark-all-read",
        icon="done_all",
        permissions=["view"],
        dialog={
            "title": _("Mark every notification read"),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Mark all as read"),
        },
    )
    def mark_all_read(self, request: HttpRequest, form: ConfirmDialogForm) -> HttpResponse:
        url = reverse("admin:reports_adminnotification_changelist")
        work = lambda: notifications.mark_all_read(request.user)  # noqa: E731
        done = lambda count: _("%(count)d notifications marked read.") % {"count": count}  # noqa: E731
        return run_service(self, request, work, done, url)
