"""Back-office lead imports API: upload (with a preview), start, resume, follow progress, download the report."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core import jsontext
from crm.core.api.errors import ErrorSerializer
from crm.core.api.fields import ScalarField, SignedFileLinkField
from crm.core.api.parsers import JSONParser, MultiPartParser
from crm.customers.models import SalesStatus
from crm.sales.models import LeadImport
from crm.sales.services import imports
from crm.users.models import Desk, User
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class CanImportLeads(BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("sales.import_leads"))


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class _MappingField(serializers.JSONField):
    """A JSON object `{"lead field": "column header"}`, also accepted as a JSON string in a form upload."""

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if isinstance(data, str):
            try:
                data = jsontext.loads(data) if data.strip() else {}
            except json.JSONDecodeError as exc:
                raise serializers.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise serializers.ValidationError(_('Give an object such as {"email": "E-mail address"}.'))
        return {str(k): v for k, v in data.items()}


class LeadImportDefaultsSerializer(serializers.Serializer):
    """What every imported lead gets unless its row says otherwise."""

    source = serializers.CharField()  # type: ignore[assignment]  # a field named "source" shadows Field.source
    campaign = serializers.CharField()
    sales_status = serializers.IntegerField(required=False, help_text="Sales status id.")
    desk = serializers.IntegerField(required=False, help_text="Desk id.")
    sales_person = serializers.IntegerField(required=False, help_text="Staff user id.")
    assign = serializers.BooleanField(help_text="Route the leads with the assignment rules.")


class LeadImportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    mapping = serializers.DictField(child=serializers.CharField(), help_text="Lead field -> column header.")
    defaults = LeadImportDefaultsSerializer()
    report_url = SignedFileLinkField(
        source="report", allow_null=True, help_text="Short-lived signed link to the rejected rows (CSV)."
    )

    class Meta:
        model = LeadImport
        fields = [
            "id",
            "original_name",
            "status",
            "encoding",
            "mapping",
            "defaults",
            "batch_size",
            "rows_total",
            "rows_done",
            "rows_imported",
            "rows_rejected",
            "percent",
            "error",
            "report_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class LeadImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 with or without BOM, or Latin-1) or XLSX; first row: headers.")
    mapping = _MappingField(required=False, help_text='{"lead field": "column header"}; known headers map themselves.')
    source = serializers.CharField(required=False, allow_blank=True, max_length=100)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    campaign = serializers.CharField(required=False, allow_blank=True, max_length=255)
    sales_status_id = serializers.PrimaryKeyRelatedField(queryset=SalesStatus.objects.all(), required=False)
    desk_id = serializers.PrimaryKeyRelatedField(queryset=Desk.objects.all(), required=False)
    sales_person_id = serializers.PrimaryKeyRelatedField(queryset=User.objects.active_staff(), required=False)
    assign = serializers.BooleanField(default=True, help_text="Route the leads with the assignment rules.")
    batch_size = serializers.IntegerField(default=1000, min_value=1, max_value=imports.MAX_BATCH_SIZE)

    def create_job(self, owner: User) -> LeadImport:
        data = self.validated_data
        defaults = {
            "source": data.get("source", ""),
            "campaign": data.get("campaign", ""),
            "sales_status": data["sales_status_id"].pk if data.get("sales_status_id") else None,
            "desk": data["desk_id"].pk if data.get("desk_id") else None,
            "sales_person": data["sales_person_id"].pk if data.get("sales_person_id") else None,
            "assign": data["assign"],
        }
        upload = data["file"]
        return imports.create_import(
            owner=owner,
            file=upload,
            name=upload.name,
            mapping=data.get("mapping"),
            defaults=defaults,
            batch_size=data["batch_size"],
        )


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    values = serializers.DictField(child=ScalarField(), help_text="Lead field -> value read from the row.")
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]  # a row's errors (output only), not Serializer.errors


class LeadImportPreviewSerializer(serializers.Serializer):
    file_format = serializers.CharField()
    encoding = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    mapping = serializers.DictField(child=serializers.CharField())
    rows = PreviewRowSerializer(many=True)


class LeadImportStartSerializer(serializers.Serializer):
    mapping = _MappingField(required=False, help_text="A corrected mapping; default: the one previewed.")


@extend_schema_view(
    list=extend_schema(summary="List lead imports", description="The caller's imports (all with view_all_leads)."),
    retrieve=extend_schema(summary="Get a lead import", description="Progress, counts and the rejected-rows link."),
)
@extend_schema(tags=["lead imports"])
class LeadImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LeadImportSerializer
    permission_classes = [CanImportLeads]
    parser_classes = [MultiPartParser]  # the upload (create); the actions read JSON
    queryset = LeadImport.objects.none()

    def get_queryset(self) -> QuerySet[LeadImport]:
        return LeadImport.objects.visible_to(self.request.user).select_related("owner")

    def _job(self, job: LeadImport, code: int = status.HTTP_200_OK) -> Response:
        job.refresh_from_db()
        return Response(LeadImportSerializer(job, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Upload a file of leads",
        description="Stores the file and its mapping; nothing is imported until `start`. See `preview` first.",
        request={"multipart/form-data": LeadImportCreateSerializer},
        responses={201: LeadImportSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        payload = LeadImportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._job(payload.create_job(staff_user(request)), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Preview a lead import",
        description="Headers, mapping and the first rows as leads, each with the reasons it would be refused.",
        responses={200: LeadImportPreviewSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        return Response(imports.preview_import(self.get_object()))

    @extend_schema(
        summary="Start a lead import",
        description="Confirms the previewed import; a task imports it batch by batch. Answers 202.",
        request=LeadImportStartSerializer,
        responses={202: LeadImportSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def start(self, request: Request, pk: str | None = None) -> Response:
        payload = LeadImportStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = imports.start_import(
            self.get_object(), actor=staff_user(request), mapping=payload.validated_data.get("mapping")
        )
        return self._job(job, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Resume a failed lead import",
        description="Imports the rest after the last committed batch. Answers 202.",
        request=None,
        responses={202: LeadImportSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._job(imports.resume_import(self.get_object(), actor=staff_user(request)), status.HTTP_202_ACCEPTED)
