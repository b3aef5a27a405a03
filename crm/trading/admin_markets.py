"""Markets files in the admin: the import's upload and results (refused rows with their reasons), and the
instruments changelist's "Export markets file" / "Import markets file" buttons (crm.trading.admin).

Imported by `crm.trading.admin`; uploads and exports go through `crm.trading.services.market_files`, the same
service as 001 `markets/file` and `markets/download`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from crm.core.exceptions import DomainError
from crm.trading.models import MarketImport
from crm.trading.services import market_files

IMPORT_PERMISSIONS = ("trading.add_instrument", "trading.change_instrument")
RESULTS = (
    "original_name", "owner", "status", "rows_created", "rows_updated", "rows_rejected", "reasons", "error",
    "created_at", "started_at", "finished_at",
)  # fmt: skip


class MarketImportForm(forms.ModelForm[MarketImport]):
    class Meta:
        model = MarketImport
        fields = ["file"]
        help_texts = {
            "file": _(
                "XLSX or CSV in the columns of the markets file export; a row per instrument, matched by symbol."
            )
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            market_files.check_market_file(upload, name=upload.name)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload


@admin.register(MarketImport)
class MarketImportAdmin(ModelAdmin[MarketImport]):
    """Upload a markets file (the add page); each import's page lists the rows refused and why."""

    form = MarketImportForm
    list_display = ("original_name", "owner", "status", "rows_created", "rows_updated", "rows_rejected", "created_at")
    list_select_related = ("owner",)
    list_filter = ("status",)
    show_full_result_count = False
    readonly_fields = RESULTS

    def get_queryset(self, request: HttpRequest) -> QuerySet[MarketImport]:
        return MarketImport.objects.visible_to(request.user).select_related("owner")

    def get_fields(self, request: HttpRequest, obj: MarketImport | None = None) -> Any:
        return ["file"] if obj is None else list(RESULTS)

    def get_readonly_fields(self, request: HttpRequest, obj: MarketImport | None = None) -> Any:
        return () if obj is None else RESULTS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(IMPORT_PERMISSIONS)

    def has_change_permission(self, request: HttpRequest, obj: MarketImport | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MarketImport | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MarketImport, form: Any, change: bool) -> None:
        upload = form.cleaned_data["file"]
        job = market_files.create_market_import(owner=request.user, file=upload, name=upload.name)
        obj.pk, obj._state.adding = job.pk, False

    @admin.display(description=_("Refused rows"))
    def reasons(self, obj: MarketImport) -> SafeString:
        """Each refused row (1 = the first under the headers) with its reasons per column."""
        lines = (
            (number, "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()))
            for number, errors in sorted(obj.row_errors.items(), key=lambda item: int(item[0]))
        )
        return format_html_join("", "<div>{}: {}</div>", lines)
