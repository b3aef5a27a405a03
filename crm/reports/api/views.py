"""The reports API (back office): the dashboard, reports as pages of rows, report runs and templates."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions, require_perms
from crm.core.api.schema import SingleObjectSchema
from crm.core.exceptions import Conflict
from crm.reports import services
from crm.reports.api import serializers as s
from crm.reports.models import ReportRun, ReportTemplate
from crm.reports.periods import Period
from crm.reports.scope import scope_for
from crm.reports.selectors import Dashboard, build_dashboard
from crm.reports.sources import AFFILIATION, BALANCE, PROFIT_LOSS, TRANSACTIONS, ReportSource
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
NOT_FOUND = {404: ErrorSerializer}
PERIOD_PARAMETERS = [
    OpenApiParameter("start", str, description="First day, YYYY-MM-DD, in the broker's time zone."),
    OpenApiParameter("end", str, description="Last day, included (at most 366 days)."),
]


class IsStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def period_of(request: Request, *, required: bool = False) -> Period:
    query = s.PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = query.validated_data.get("start"), query.validated_data.get("end")
    if required and not (start and end):
        missing = [name for name in ("start", "end") if not query.validated_data.get(name)]
        raise serializers.ValidationError({key: ["This parameter is required."] for key in missing})
    if start and end:
        return Period(first=start, last=end)
    return Period.last_days(today=end) if end else Period.last_days()


def dashboard_data(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "start": dashboard.period.first,
        "end": dashboard.period.last,
        "previous_start": dashboard.previous.first,
        "previous_end": dashboard.previous.last,
        "scope": dashboard.scope.label,
        "figures": dashboard.figures,
        "money": dashboard.money,
        "pending": dashboard.pending,
        "commissions": dashboard.commissions,
        "trading": dashboard.trading,
        "series": dashboard.series,
        "breakdowns": dashboard.breakdowns,
    }


@extend_schema(tags=["reports"])
class DashboardViewSet(viewsets.GenericViewSet[Any]):
    schema = SingleObjectSchema()  # `list` answers one object
    serializer_class = s.StaffDashboardSerializer
    permission_classes = [IsStaff]
    queryset = ReportRun.objects.none()

    @extend_schema(
        summary="Get dashboard data",
        description=(
            "The admin dashboard's figures for a period (`start`..`end`, the last 30 days by default) beside the "
            "previous period of the same length: registrations, first deposits, portal log-ins, new leads, "
            "conversions, follow-ups due, deposits/withdrawals/net deposits per currency, what waits now "
            "(withdrawals, affiliate payout requests), commissions by status, series per day and top-10 "
            "breakdowns. Counted in the caller's scope (everything, their desks, or their own clients and leads); "
            "sections the caller's role may not see are empty. Each figure says what it counts."
        ),
        parameters=PERIOD_PARAMETERS,
        responses={200: s.StaffDashboardSerializer, **ERRORS},
    )
    def list(self, request: Request) -> Response:
        user = request.user
        dashboard = build_dashboard(user, scope=scope_for(user), period=period_of(request))  # type: ignore[arg-type]
        return Response(s.StaffDashboardSerializer(dashboard_data(dashboard)).data)


class ReportPermission(permissions.BasePermission):
    """Staff holding `reports.view_reportrun` and the report's own data permission."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        source: ReportSource = view.source
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and user.has_perm("reports.view_reportrun")
            and services.may_report(user, source.kind)
        )


class ReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Any]):
    """A report as pages of rows (`limit`/`offset`), for a period, sorted by `sortBy`."""

    source: ClassVar[ReportSource]
    permission_classes = [ReportPermission]
    filter_backends = ()
    queryset = ReportRun.objects.none()

    def get_queryset(self) -> QuerySet[Any]:
        period = period_of(self.request, required=True)
        params: dict[str, Any] = {"start": period.first.isoformat(), "end": period.last.isoformat()}
        if self.request.query_params.get("sortBy"):
            params["sortBy"] = self.request.query_params["sortBy"]
        for name in self.source.filters:
            if self.request.query_params.getlist(name):
                params[name] = self.request.query_params.getlist(name)
        cleaned = services.clean_params(self.source.kind, params)
        return self.source.queryset(scope_for(self.request.user), period, cleaned)  # type: ignore[arg-type]


def _report_schema(source: ReportSource, serializer: type[serializers.Serializer[Any]]) -> Any:
    sort = ", ".join(f"`{key}`" for key in sorted(source.sort_keys))
    parameters = [
        OpenApiParameter("start", str, required=True, description="First day, YYYY-MM-DD (broker's time zone)."),
        OpenApiParameter("end", str, required=True, description="Last day, included (at most 366 days)."),
        OpenApiParameter("sortBy", str, description=f"One of {sort}; `-` first for descending."),
        *[
            OpenApiParameter(name, str, many=True, enum=values, description=f"Only these values of `{name}`.")
            for name, values in source.filters.items()
        ],
    ]
    return extend_schema_view(
        list=extend_schema(
            summary=f"Get the {source.title.lower()}",
            description=source.description,
            parameters=parameters,
            responses={200: serializer(many=True), **ERRORS},
        )
    )


@_report_schema(BALANCE, s.BalanceRowSerializer)
@extend_schema(tags=["reports"])
class BalanceReportViewSet(ReportViewSet):
    source = BALANCE
    serializer_class = s.BalanceRowSerializer


@_report_schema(AFFILIATION, s.AffiliationRowSerializer)
@extend_schema(tags=["reports"])
class AffiliationReportViewSet(ReportViewSet):
    source = AFFILIATION
    serializer_class = s.AffiliationRowSerializer


@_report_schema(TRANSACTIONS, s.TransactionRowSerializer)
@extend_schema(tags=["reports"])
class TransactionReportViewSet(ReportViewSet):
    source = TRANSACTIONS
    serializer_class = s.TransactionRowSerializer


@_report_schema(PROFIT_LOSS, s.ProfitLossRowSerializer)
@extend_schema(tags=["reports"])
class ProfitLossReportViewSet(ReportViewSet):
    source = PROFIT_LOSS
    serializer_class = s.ProfitLossRowSerializer


@extend_schema_view(
    list=extend_schema(summary="List report runs", description="Your report runs (everyone's for Admin)."),
    retrieve=extend_schema(
        summary="Get a report run",
        description="Its status, attempts and progress.",
        responses={200: s.ReportRunSerializer, **NOT_FOUND},
    ),
    destroy=extend_schema(summary="Delete a report run", description="Deletes the run and its file."),
)
@extend_schema(tags=["reports"])
class ReportRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[ReportRun]
):
    serializer_class = s.ReportRunSerializer
    permission_classes = [StaffModelPermissions]
    filterset_fields = ["status", "kind"]
    queryset = ReportRun.objects.none()

    def get_queryset(self) -> QuerySet[ReportRun]:
        return ReportRun.objects.visible_to(self.request.user).for_list()

    @extend_schema(
        summary="Create a report run",
        description=(
            "Queues a report (`kind`, `params` with `start`/`end`, `sortBy` and the report's filters) as an XLSX "
            "or CSV file; the people in `notify_emails` get a link when it is ready. A history server kind (`h.`) "
            "takes `params` `filters` and `sort` in the history server's query language (the same checks as "
            "`/api/reports`) and the permissions of its read model. Answers 201 with the run; poll it for progress, "
            "then ask for a `download-link`."
        ),
        request=s.ReportRunCreateSerializer,
        responses={201: s.ReportRunSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        payload = s.ReportRunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        run = services.create_report_run(
            owner=staff_user(request),
            kind=data["kind"],
            params=data["params"],
            file_format=data["file_format"],
            notify_emails=data["notify_emails"],
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ReportRun) -> None:
        services.delete_report_run(instance)

    @extend_schema(
        summary="Get a download link",
        description=(
            "A link to the finished file for a browser (`?token=`): the token opens this "
            "one file only, is not an API token or JWT, and expires after `expires_in` seconds. 409 "
            "`report_not_ready` until the run is done."
        ),
        request=None,
        responses={200: s.DownloadLinkSerializer, 409: ErrorSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="download-link",
        permission_classes=[require_perms("reports.view_reportrun")],
    )
    def download_link(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        if run.status != ReportRun.Status.DONE or not run.file:
            raise Conflict("The report is not ready.", code="report_not_ready")
        path = services.download_path(run, recipient=f"staff:{request.user.pk}", browser=True)
        return Response({"url": request.build_absolute_uri(path), "expires_in": settings.PRIVATE_LINK_MAX_AGE})


@extend_schema_view(
    list=extend_schema(summary="List report templates", description="Scheduled reports not deleted."),
    retrieve=extend_schema(summary="Get a report template"),
    create=extend_schema(
        summary="Create a report template",
        description=(
            "A report on a schedule: from `base_date`, daily, weekly on `days_of_week`, or monthly; each run "
            "covers the `period_days` days up to the day before and notifies `notify_emails`. A history server "
            "kind (`h.`) has no period: its `params` `filters` (e.g. on `createdAt`) say which rows. 403 for a "
            "kind whose data the caller may not see."
        ),
    ),
    partial_update=extend_schema(summary="Change a report template"),
    destroy=extend_schema(
        summary="Delete a report template", description="Soft delete: it stops running; who and when are kept."
    ),
)
@extend_schema(tags=["reports"])
class ReportTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ReportTemplate],
):
    serializer_class = s.ReportTemplateSerializer
    permission_classes = [StaffModelPermissions]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = ReportTemplate.objects.none()

    def get_queryset(self) -> QuerySet[ReportTemplate]:
        return ReportTemplate.objects.visible_to(self.request.user).select_related("owner")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        template = ReportTemplate(owner=staff_user(self.request), next_run_at=serializer.validated_data["base_date"])
        self._save(serializer, template)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        self._save(serializer, cast(ReportTemplate, serializer.instance))

    def _save(self, serializer: serializers.BaseSerializer[Any], template: ReportTemplate) -> None:
        for name, value in serializer.validated_data.items():
            setattr(template, name, value)
        serializer.instance = services.save_template(template, actor=self.request.user)  # type: ignore[arg-type]

    def perform_destroy(self, instance: ReportTemplate) -> None:
        services.delete_template(instance, actor=self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        summary="Run a report template now",
        description="Starts one run now for the template's period up to yesterday; the schedule is unchanged.",
        request=None,
        responses={202: s.ReportRunSerializer, **ERRORS, **NOT_FOUND},
    )
    @action(
        detail=True, methods=["post"], url_path="run-now", permission_classes=[require_perms("reports.add_reportrun")]
    )
    def run_now(self, request: Request, pk: str | None = None) -> Response:
        run = services.run_template(self.get_object(), actor=request.user)  # type: ignore[arg-type]
        return Response(s.ReportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
