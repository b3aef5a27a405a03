"""Seed 001 report jobs at its paths (`/api/reports...`): a history server read model built into an XLSX or CSV file.

A report is a `ReportRun` of a history kind (crm.reports.history.jobs) made by `crm.reports.services`, the same
machinery as the back office's reports: a task builds the file as its owner sees the data, the people in
`notifyEmails` get a signed link, and the file expires. Ids: the seed shows UUIDs; ours are whole numbers, answered
as text (`"42"`). A staff member sees their own reports (`reports.view_all_reportruns`: everyone's); another's
report answers 404.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core.api.errors import ErrorSerializer
from crm.core.exceptions import DomainError
from crm.reports import services
from crm.reports.history.jobs import (
    KIND_OF,
    REPORTS,
    STATUS_TYPE_OF,
    FileFormat,
    Frequency,
    SourceName,
    StatusType,
)
from crm.reports.history.query import FilterSerializer, SortSerializer
from crm.reports.history.serializers import data_serializer
from crm.reports.models import ReportFormat, ReportRun, ReportTemplate
from crm.trading.compat.backoffice.authentication import BackApiTokenAuthentication, operation
from crm.trading.compat.enums import DayOfWeek as Weekday
from crm.users.requests import staff_user

TAGS = ["history server (seed 001)"]
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
NOT_FOUND = {404: ErrorSerializer}
HISTORY_KIND = "h."


class HistoryReportCreateSerializer(serializers.Serializer[Any]):
    reportName = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=SourceName.choices)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    sourceName = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Ignored: the source's own name."
    )
    notifyEmails = serializers.ListField(
        child=serializers.EmailField(), max_length=services.MAX_NOTIFY, required=False, default=list
    )
    filters = FilterSerializer(many=True, required=False, default=list)
    sorting = SortSerializer(required=False, allow_null=True, default=None)
    format = serializers.ChoiceField(choices=FileFormat.choices, default=FileFormat.XLSX)


class HistoryReportIdSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The report's id (a whole number, as text).")


class HistoryReportSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    reportName = serializers.CharField()
    templateName = serializers.CharField(allow_null=True)
    templateId = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=SourceName.choices)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    sourceName = serializers.CharField()
    filters = FilterSerializer(many=True)
    sorting = SortSerializer(allow_null=True)
    createdAt = serializers.DateTimeField()
    expiredAt = serializers.DateTimeField(allow_null=True, help_text="When the file is removed (once it is built).")
    statusType = serializers.ChoiceField(choices=StatusType.choices)
    statusReason = serializers.CharField(allow_null=True)
    createdBy = serializers.CharField(help_text="The owner's email.")
    notifyEmails = serializers.ListField(child=serializers.CharField())
    format = serializers.ChoiceField(choices=FileFormat.choices)


ReportListSerializer = data_serializer("HistoryReportList", HistoryReportSerializer)


def report_data(run: ReportRun) -> dict[str, Any]:
    """A run in the seed's report shape."""
    report = REPORTS[run.kind]
    return {
        "id": str(run.pk),
        "reportName": run.name,
        "templateName": run.template.name if run.template else None,
        "templateId": str(run.template_id) if run.template_id else None,
        "source": report.source_name,
        "sourceName": _(report.title),
        "filters": run.params.get("filters", []),
        "sorting": run.params.get("sort"),
        "createdAt": run.created_at,
        "expiredAt": run.expires_at,
        "statusType": STATUS_TYPE_OF[run.status],
        "statusReason": run.error or None,
        "createdBy": run.owner.email,
        "notifyEmails": run.notify_emails,
        "format": run.file_format.upper(),
    }


def reports_of(user: Any) -> QuerySet[ReportRun]:
    return ReportRun.objects.visible_to(user).filter(kind__startswith=HISTORY_KIND).for_list()


def by_text_id(queryset: QuerySet[Any], text_id: str) -> Any:
    """The row whose id the path gives as text, or 404 (not a whole number that fits a bigint, or not there)."""
    if not text_id.isdigit() or len(text_id) > 18:
        raise exceptions.NotFound()
    return get_object_or_404(queryset, pk=int(text_id))


def report_of(user: Any, report_id: str) -> ReportRun:
    """The caller's report, or 404 (another staff member's, a back-office report, or not a number)."""
    return cast(ReportRun, by_text_id(reports_of(user), report_id))


class ReportsAPIView(APIView):
    authentication_classes = [BackApiTokenAuthentication, SessionAuthentication]
    # Reading needs `view-reports`, a change `manage-reports` (per method).
    operations: dict[str, str] = {}

    def get_permissions(self) -> list[permissions.BasePermission]:
        name = self.operations.get(self.request.method or "", "view-reports")
        return [operation(name)()]


class ReportsView(ReportsAPIView):
    operations = {"GET": "view-reports", "POST": "manage-reports"}

    @extend_schema(
        tags=TAGS,
        summary="List reports",
        description="The caller's history server reports, newest first.",
        operation_id="history_reportsList",
        responses={200: ReportListSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response({"data": [report_data(run) for run in reports_of(request.user)]})

    @extend_schema(
        tags=TAGS,
        summary="Create an ad-hoc report",
        description=(
            "Queues a report of a history server read model (`source`), filtered by `filters[]` and sorted by "
            "`sorting` in that read model's query language, as an XLSX or CSV file of the rows the caller may see. "
            "Poll `GET /api/reports/{reportId}` until `statusType` is `Completed`, then download it; the people in "
            "`notifyEmails` get a signed link. Needs the source's own operation too (e.g. `view-orders`)."
        ),
        operation_id="history_reportsCreate",
        request=HistoryReportCreateSerializer,
        responses={200: HistoryReportIdSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        payload = HistoryReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        kind = KIND_OF[data["source"]]
        params: dict[str, Any] = {"filters": [dict(item) for item in data["filters"]]}
        if data["sorting"]:
            params["sort"] = dict(data["sorting"])
        run = services.create_report_run(
            owner=staff_user(request),
            kind=kind,
            name=data["reportName"],
            params=params,
            file_format=ReportFormat(data["format"].lower()),
            notify_emails=data["notifyEmails"],
        )
        return Response({"id": str(run.pk)}, status=status.HTTP_200_OK)


class ReportView(ReportsAPIView):
    operations = {"GET": "view-reports", "DELETE": "manage-reports"}

    @extend_schema(
        tags=TAGS,
        summary="Get a report",
        description="`statusType`: `New` (queued), `InProcess`, `Completed` (downloadable until `expiredAt`), "
        "`Failed` (`statusReason` says why).",
        operation_id="history_reportsGet",
        responses={200: HistoryReportSerializer, **ERRORS, **NOT_FOUND},
    )
    def get(self, request: Request, reportId: str) -> Response:
        return Response(report_data(report_of(request.user, reportId)))

    @extend_schema(
        tags=TAGS,
        summary="Delete a report",
        description="Deletes the report and its file.",
        operation_id="history_reportsDelete",
        responses={204: None, **ERRORS, **NOT_FOUND},
    )
    def delete(self, request: Request, reportId: str) -> Response:
        services.delete_report_run(report_of(request.user, reportId))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportDownloadView(ReportsAPIView):
    @extend_schema(
        tags=TAGS,
        summary="Download a report's file",
        description="The XLSX or CSV file; 400 until the report is `Completed` (or once it failed).",
        operation_id="history_reportsDownload",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **ERRORS,
            **NOT_FOUND,
        },
    )
    def get(self, request: Request, reportId: str) -> FileResponse:
        run = report_of(request.user, reportId)
        if run.status != ReportRun.Status.DONE or not run.file:
            raise DomainError(_("The report is not ready."), code="report_not_ready")
        name = PurePath(run.file.name or "report").name
        response = FileResponse(run.file.open("rb"), as_attachment=True, filename=name)
        response["Cache-Control"] = "private, no-store"
        return response


# Templates -------------------------------------------------------------------------------------------------------

FREQUENCY_OF = {"daily": Frequency.DAILY, "weekly": Frequency.WEEKLY, "monthly": Frequency.MONTHLY}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]  # ISO 1..7


class HistoryScheduleSerializer(serializers.Serializer[Any]):
    baseDate = serializers.DateTimeField(help_text="The first run; later runs keep its time of day.")
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    daysOfWeek = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices), max_length=7, required=False, default=list,
        help_text="Weekly: the days to run on (empty: the base date's weekday).",
    )  # fmt: skip


class HistoryTemplateWriteSerializer(serializers.Serializer[Any]):
    templateName = serializers.CharField(max_length=200)
    source = serializers.ChoiceField(choices=SourceName.choices)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    sourceName = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Ignored: the source's own name."
    )
    schedule = HistoryScheduleSerializer()
    notifyEmails = serializers.ListField(
        child=serializers.EmailField(), max_length=services.MAX_NOTIFY, required=False, default=list
    )
    filters = FilterSerializer(many=True, required=False, default=list)
    sorting = SortSerializer(required=False, allow_null=True, default=None)
    format = serializers.ChoiceField(choices=FileFormat.choices, default=FileFormat.XLSX)


class HistoryTemplateSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    templateName = serializers.CharField()
    source = serializers.ChoiceField(choices=SourceName.choices)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    sourceName = serializers.CharField()
    schedule = HistoryScheduleSerializer()
    filters = FilterSerializer(many=True)
    sorting = SortSerializer(allow_null=True)
    notifyEmails = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField()
    createdBy = serializers.CharField()
    updatedAt = serializers.DateTimeField()
    updatedBy = serializers.CharField(allow_null=True)
    deletedAt = serializers.DateTimeField(allow_null=True)
    deletedBy = serializers.CharField(allow_null=True)
    format = serializers.ChoiceField(choices=FileFormat.choices)


TemplateListSerializer = data_serializer("HistoryReportTemplateList", HistoryTemplateSerializer)


class HistoryRunSerializer(serializers.Serializer[Any]):
    reportId = serializers.CharField(help_text="The report the run made (a whole number, as text).")


def template_data(template: ReportTemplate) -> dict[str, Any]:
    report = REPORTS[template.kind]
    return {
        "id": str(template.pk),
        "templateName": template.name,
        "source": report.source_name,
        "sourceName": _(report.title),
        "schedule": {
            "baseDate": template.base_date,
            "frequency": FREQUENCY_OF[template.frequency],
            "daysOfWeek": [WEEKDAYS[day - 1] for day in template.days_of_week],
        },
        "filters": template.params.get("filters", []),
        "sorting": template.params.get("sort"),
        "notifyEmails": template.notify_emails,
        "createdAt": template.created_at,
        "createdBy": template.owner.email,
        "updatedAt": template.updated_at,
        "updatedBy": template.updated_by.email if template.updated_by else None,
        "deletedAt": template.deleted_at,
        "deletedBy": template.deleted_by.email if template.deleted_by else None,
        "format": template.file_format.upper(),
    }


def templates_of(user: Any) -> QuerySet[ReportTemplate]:
    return (
        ReportTemplate.objects.visible_to(user)
        .filter(kind__startswith=HISTORY_KIND)
        .select_related("owner", "updated_by", "deleted_by")
        .order_by("-created_at", "-id")
    )


def template_of(user: Any, template_id: str) -> ReportTemplate:
    """The caller's live template, or 404 (another staff member's, deleted, a back-office one, not a number)."""
    return cast(ReportTemplate, by_text_id(templates_of(user), template_id))


def fill_template(template: ReportTemplate, data: dict[str, Any]) -> ReportTemplate:
    """The request's values on the template (checked and saved by `services.save_template`)."""
    frequency = {value: key for key, value in FREQUENCY_OF.items()}[data["schedule"]["frequency"]]
    template.name = data["templateName"]
    template.kind = KIND_OF[data["source"]]
    template.params = {
        "filters": [dict(item) for item in data["filters"]],
        **({"sort": dict(data["sorting"])} if data["sorting"] else {}),
    }
    template.file_format = data["format"].lower()
    template.notify_emails = list(data["notifyEmails"])
    template.frequency = frequency
    template.days_of_week = [WEEKDAYS.index(day) + 1 for day in data["schedule"]["daysOfWeek"]]
    template.base_date = data["schedule"]["baseDate"]
    return template


def _write(request: Request, template: ReportTemplate) -> ReportTemplate:
    payload = HistoryTemplateWriteSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    fill_template(template, payload.validated_data)
    return services.save_template(template, actor=staff_user(request))  # refuses a source the caller may not see


TEMPLATE_READ = ("reports.view_reporttemplate",)
TEMPLATE_WRITE = ("reports.view_reporttemplate", "reports.add_reporttemplate", "reports.change_reporttemplate")


class TemplatesAPIView(ReportsAPIView):
    def get_permissions(self) -> list[permissions.BasePermission]:
        name = self.operations.get(self.request.method or "", "view-reports")
        extra = TEMPLATE_READ if name == "view-reports" else TEMPLATE_WRITE
        return [operation(name, *extra)()]


class TemplatesView(TemplatesAPIView):
    operations = {"GET": "view-reports", "POST": "manage-reports"}

    @extend_schema(
        tags=TAGS, summary="List report templates", description="The caller's live templates, newest first.",
        operation_id="history_reportTemplatesList", responses={200: TemplateListSerializer, **ERRORS},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response({"data": [template_data(template) for template in templates_of(request.user)]})

    @extend_schema(
        tags=TAGS, summary="Create a report template",
        description="A report of `source` on a schedule (from `baseDate`, `Daily`, `Weekly` on `daysOfWeek`, or "
        "`Monthly`), run by beat; each run is a report (`GET /api/reports`) and notifies `notifyEmails` and the "
        "owner. 409 when the caller already has a live template of that name.",
        operation_id="history_reportTemplatesCreate", request=HistoryTemplateWriteSerializer,
        responses={200: HistoryReportIdSerializer, 409: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        template = _write(request, ReportTemplate(owner=staff_user(request)))
        return Response({"id": str(template.pk)})


class TemplateView(TemplatesAPIView):
    operations = {"GET": "view-reports", "PUT": "manage-reports", "DELETE": "manage-reports"}

    @extend_schema(
        tags=TAGS, summary="Get a report template", operation_id="history_reportTemplatesGet",
        responses={200: HistoryTemplateSerializer, **ERRORS, **NOT_FOUND},
    )  # fmt: skip
    def get(self, request: Request, templateId: str) -> Response:
        return Response(template_data(template_of(request.user, templateId)))

    @extend_schema(
        tags=TAGS, summary="Update a report template", description="Replaces it; the next run follows the schedule.",
        operation_id="history_reportTemplatesUpdate", request=HistoryTemplateWriteSerializer,
        responses={204: None, 409: ErrorSerializer, **ERRORS, **NOT_FOUND},
    )  # fmt: skip
    def put(self, request: Request, templateId: str) -> Response:
        _write(request, template_of(request.user, templateId))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAGS, summary="Delete a report template",
        description="Soft delete: it stops running and leaves the lists; who and when are kept.",
        operation_id="history_reportTemplatesDelete", responses={204: None, **ERRORS, **NOT_FOUND},
    )  # fmt: skip
    def delete(self, request: Request, templateId: str) -> Response:
        services.delete_template(template_of(request.user, templateId), actor=staff_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateRunView(TemplatesAPIView):
    operations = {"POST": "manage-reports"}

    @extend_schema(
        tags=TAGS, summary="Run a report template now",
        description="Queues a report of the template now (the schedule is unchanged).",
        operation_id="history_reportTemplatesRun", request=None,
        responses={200: HistoryRunSerializer, **ERRORS, **NOT_FOUND},
    )  # fmt: skip
    def post(self, request: Request, templateId: str) -> Response:
        run = services.run_template(template_of(request.user, templateId), actor=staff_user(request))
        return Response({"reportId": str(run.pk)})
