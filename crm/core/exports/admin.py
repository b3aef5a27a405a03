"""`ExportAdminMixin`: an "Export XLSX" button and an "Export selected" action for any changelist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from crm.core.exports import sources
from crm.core.exports.services import create_export_job
from crm.core.models import ExportJob

# Seen by the type checker as the ModelAdmin it is mixed into.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ExportAdminMixin(_ModelAdmin):
    """Add to an unfold ModelAdmin (before it in the bases) to export the changelist as the user sees it.

    Columns are `export_fields` (default: `list_display` without the checkbox), so display
    methods such as masked emails are honoured. `export_permission` ("app.codename"), when
    set, is required on top of the view permission.
    """

    export_fields: list[str] | tuple[str, ...] | None = None
    export_permission: str | None = None
    actions_list = ["export_xlsx"]
    actions = ["export_selected_xlsx"]

    def get_export_fields(self, request: HttpRequest) -> list[Any]:
        if self.export_fields is not None:
            return list(self.export_fields)
        return [name for name in self.get_list_display(request) if name != "action_checkbox"]

    def has_export_permission(self, request: HttpRequest) -> bool:
        if not self.has_view_or_change_permission(request):
            return False
        return not self.export_permission or request.user.has_perm(self.export_permission)

    def _export_target(self) -> str:
        target = f"{self.model._meta.app_label}.{self.model._meta.model_name}"
        return target if self.admin_site is admin.site else f"{self.admin_site.name}:{target}"

    def _url_name(self, view: str) -> str:
        return f"{self.admin_site.name}:{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    def _job_url(self, job: ExportJob) -> str:
        return reverse("admin:core_exportjob_change", args=[job.pk])

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # The button carries the changelist's current filters, search and ordering.
        query = request.GET.urlencode()
        context = getattr(response, "context_data", None)
        if query and context and context.get("actions_list"):
            export_path = reverse(self._url_name("export_xlsx"))
            for item in context["actions_list"]:
                if item.get("path") == export_path:
                    item["path"] = f"{export_path}?{query}"
        return response

    @action(description=_("Export XLSX"), icon="download", url_path="export-xlsx", permissions=["export"])
    def export_xlsx(self, request: HttpRequest) -> HttpResponse:
        """GET asks for confirmation (a link must not start work); POST records the job."""
        params = {key: request.GET.getlist(key) for key in request.GET}
        if request.method != "POST":
            opts = self.model._meta
            context = {
                **self.admin_site.each_context(request),
                "title": _("Export %(name)s to XLSX") % {"name": opts.verbose_name_plural},
                "opts": opts,
                "filters": sources.clean_params(params),
                "changelist_url": reverse(self._url_name("changelist"))
                + (f"?{request.GET.urlencode()}" if request.GET else ""),
            }
            return TemplateResponse(request, "admin/core/export_confirm.html", context)
        job = create_export_job(
            owner=request.user,
            source=ExportJob.Source.ADMIN,
            target=self._export_target(),
            params=params,
            description=str(self.model._meta.verbose_name_plural),
        )
        messages.info(request, _("The export has started; this page shows its progress."))
        return HttpResponseRedirect(self._job_url(job))

    @admin.action(description=_("Export selected to XLSX"), permissions=["export"])
    def export_selected_xlsx(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        if not self.has_export_permission(request):
            raise PermissionDenied
        filters = request.GET.copy()
        job = create_export_job(
            owner=request.user,
            source=ExportJob.Source.ADMIN,
            target=self._export_target(),
            params={key: filters.getlist(key) for key in filters},
            selected_ids=list(queryset.values_list("pk", flat=True)),
            description=_("Selected %(name)s") % {"name": self.model._meta.verbose_name_plural},
        )
        messages.info(request, _("The export has started; this page shows its progress."))
        return HttpResponseRedirect(self._job_url(job))
