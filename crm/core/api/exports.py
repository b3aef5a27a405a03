"""Exports through the API: `POST <list-url>export/` on any list viewset, and the export jobs endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request, clone_request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.fields import signed_file_link
from crm.core.api.schema import AutoSchema
from crm.core.exports.services import create_export_job
from crm.core.models import ExportJob, ExportJobQuerySet

if TYPE_CHECKING:
    from rest_framework.views import APIView

    # The mixin is seen by the type checker as the viewset it is mixed into.
    _GenericViewSet = viewsets.GenericViewSet[Any]
else:
    _GenericViewSet = object


class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    percent = serializers.IntegerField(read_only=True, help_text=_("Progress from 0 to 100."))
    params = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text=_("The list's query parameters the export was asked with: name -> values."),
    )
    download_url = serializers.SerializerMethodField(
        help_text=_("Short-lived signed link to the XLSX file, for the job's owner, once the job is done.")
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "source",
            "target",
            "description",
            "params",
            "status",
            "rows_done",
            "rows_total",
            "percent",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job: ExportJob) -> str | None:
        request = self.context.get("request")
        if job.status != ExportJob.Status.DONE or not job.file or request is None or request.user.pk != job.owner_id:
            return None
        return signed_file_link(request, job.file)


class CanExport(permissions.BasePermission):
    """May read the list (its own permissions, as for a GET) and holds the view's `export_permission`, if any."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        list_request = clone_request(request, "GET")
        for permission_class in type(view).permission_classes:
            if not permission_class().has_permission(list_request, view):
                return False
        export_permission = getattr(view, "export_permission", None)
        return not export_permission or user.has_perm(export_permission)


class ExportableSchema(AutoSchema):
    """Documents the list's filter parameters on the export action, which takes the same ones."""

    def get_filter_backends(self) -> list[Any]:
        if getattr(self.view, "action", None) == "export":
            return getattr(self.view, "filter_backends", [])
        return super().get_filter_backends()


class ExportableViewSetMixin(_GenericViewSet):
    """Adds `POST <list-url>export/`: queues an XLSX export of the list with the same query parameters."""

    export_permission: str | None = None
    schema = ExportableSchema()

    @extend_schema(
        summary="Export the list to XLSX",
        description=(
            "Takes the list's query parameters (filters, search, ordering) and queues an export of every matching "
            "row, as the caller sees them. Answers 202 with the export job; poll `/exports/{id}/` for progress and "
            "the download link."
        ),
        request=None,
        responses={202: ExportJobSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path="export", permission_classes=[CanExport])
    def export(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Invalid filters answer 400 now rather than fail in the task.
        self.filter_queryset(self.get_queryset())
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        url_name = f"{self.basename}-list"
        job = create_export_job(
            owner=request.user,
            source=ExportJob.Source.API,
            target=f"{namespace}:{url_name}" if namespace else url_name,
            params={key: request.query_params.getlist(key) for key in request.query_params},
            description=str(self.get_queryset().model._meta.verbose_name_plural),
        )
        job.refresh_from_db()
        return Response(ExportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


@extend_schema_view(
    list=extend_schema(
        summary="List export jobs", description="Your export jobs (everyone's with `view_all_exportjobs`)."
    ),
    retrieve=extend_schema(summary="Get an export job", description="Its progress and, once done, the download link."),
)
@extend_schema(tags=["exports"])
class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ExportJob]):
    """The caller's export jobs (everyone's with `core.view_all_exportjobs`), with progress and download link."""

    serializer_class = ExportJobSerializer
    permission_classes = [IsStaff]
    filterset_fields = ["status", "source"]
    ordering_fields = ["created_at"]
    queryset = ExportJob.objects.none()

    def get_queryset(self) -> ExportJobQuerySet:
        return ExportJob.objects.visible_to(self.request.user).for_list()
