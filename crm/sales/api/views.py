"""Back-office leads API: `/api/v1/backoffice/leads/`, scoped by `Lead.objects.visible_to`."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.exports import ExportableViewSetMixin
from crm.core.api.parsers import MultiPartParser
from crm.core.api.permissions import ActionPermissions
from crm.core.models import Activity
from crm.sales import selectors, services
from crm.sales.api import serializers as s
from crm.sales.api.filters import LeadFilterSet
from crm.sales.api.imports import LeadImportCreateSerializer, LeadImportSerializer
from crm.sales.models import Lead, LeadQuerySet
from crm.sales.services import imports
from crm.users.requests import staff_user

VIEW = "sales.view_lead"
ACTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "claim": (VIEW, "sales.claim_lead"),
    "assign": (VIEW, "sales.assign_lead"),
    "change_status": (VIEW, "sales.change_lead"),
    "follow_up": (VIEW, "sales.change_lead"),
    "follow_ups": (VIEW,),
    "comments": (VIEW, "sales.view_leadcomment"),
    "add_comment": (VIEW, "sales.add_leadcomment"),
    "communications": (VIEW, "sales.view_leadcommunication"),
    "send_email": (VIEW, "sales.send_lead_email"),
    "history": (VIEW,),
    "merge": (VIEW, "sales.change_lead", "sales.merge_leads"),
    "bulk_edit": (VIEW, "sales.bulk_edit_leads"),
    "sources": (VIEW,),
    "sales_people": (VIEW,),
    "upload": (VIEW, "sales.import_leads"),
}
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def _refuse_assignment(request: Request, values: dict[str, Any]) -> None:
    services.check_may_assign(staff_user(request), values)


@extend_schema_view(
    list=extend_schema(summary="List leads", description="Leads the caller may see (not merged ones), filtered."),
    retrieve=extend_schema(summary="Get a lead", responses={200: s.LeadSerializer, **ERRORS}),
    create=extend_schema(
        summary="Create a lead",
        description=(
            "Without a sales person the assignment rules route the lead. A lead matching an earlier lead or a client "
            "is created flagged (`duplicate_score`) and linked (`duplicate_of_id`, `duplicate_customer_id`). "
            "Naming a sales person or desk needs `sales.assign_lead`."
        ),
        request=s.LeadWriteSerializer,
        responses={201: s.LeadSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a lead",
        description="Changing the sales person or desk needs `sales.assign_lead`.",
        request=s.LeadWriteSerializer,
        responses={200: s.LeadSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["leads"])
class LeadViewSet(ExportableViewSetMixin, viewsets.GenericViewSet):
    """Leads for staff tools: the same scoping and rules as the admin."""

    serializer_class = s.LeadSerializer
    filterset_class = LeadFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [ActionPermissions]
    action_permissions = ACTION_PERMISSIONS
    queryset = Lead.objects.none()
    export_permission = "sales.export_lead"

    def get_queryset(self) -> QuerySet[Lead]:
        return Lead.objects.visible_to(self.request.user).for_list()

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _paginated(self, queryset: QuerySet, serializer_class: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context()).data
        )

    def _lead(self, lead: Lead, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Unscoped: the caller just acted on the lead and sees the result even if it moved to someone else.
        return Response(s.LeadSerializer(Lead.objects.for_list().get(pk=lead.pk)).data, status=status_code)

    # CRUD ------------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        return self._paginated(
            self.filter_queryset(cast(LeadQuerySet, self.get_queryset()).active()), s.LeadSerializer
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        values = self._input(s.LeadWriteSerializer)
        _refuse_assignment(request, values)
        return self._lead(
            services.create_lead(actor=staff_user(request), **values), status_code=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        values = self._input(s.LeadWriteSerializer)
        _refuse_assignment(request, values)
        return self._lead(services.update_lead(lead, actor=staff_user(request), **values))

    # Working a lead ---------------------------------------------------------------------

    @extend_schema(
        summary="Claim a lead",
        description="The caller becomes the sales person of an unassigned lead; 409 when it has one.",
        request=None,
        responses={200: s.LeadSerializer, 409: ErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        return self._lead(services.claim_lead(self.get_object(), actor=staff_user(request)))

    @extend_schema(
        summary="Assign a sales person",
        description="Manual override of the routing; `null` unassigns. Optionally moves the lead to a desk.",
        request=s.LeadAssignSerializer,
        responses={200: s.LeadSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        return self._lead(services.assign_lead(lead, actor=staff_user(request), **self._input(s.LeadAssignSerializer)))

    @extend_schema(
        summary="Change the sales status", request=s.LeadStatusSerializer, responses={200: s.LeadSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        return self._lead(
            services.change_lead_status(lead, actor=staff_user(request), **self._input(s.LeadStatusSerializer))
        )

    @extend_schema(
        summary="Set or clear the follow-up",
        description="The lead appears in the sales person's follow-up list once the time has come.",
        request=s.LeadFollowUpSerializer,
        responses={200: s.LeadSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        return self._lead(
            services.set_follow_up(lead, actor=staff_user(request), **self._input(s.LeadFollowUpSerializer))
        )

    @extend_schema(
        summary="The caller's due follow-ups",
        description="The caller's leads whose follow-up time has come by `until` (default: the end of today).",
        parameters=[OpenApiParameter("until", OpenApiTypes.DATETIME, required=False)],
        responses={200: s.LeadSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], url_path="follow-ups", filter_backends=[])
    def follow_ups(self, request: Request) -> Response:
        until = _until(request.query_params.get("until"))
        return self._paginated(selectors.due_follow_ups(staff_user(request), until=until), s.LeadSerializer)

    @extend_schema(summary="List comments on a lead", responses={200: s.LeadCommentSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.lead_comments(self.get_object()), s.LeadCommentSerializer)

    @extend_schema(
        summary="Comment on a lead", request=s.LeadCommentCreateSerializer, responses={201: s.LeadCommentSerializer}
    )
    @comments.mapping.post
    def add_comment(self, request: Request, pk: str | None = None) -> Response:
        values = self._input(s.LeadCommentCreateSerializer)
        comment = services.add_lead_comment(
            self.get_object(), body=values["comment"], is_contact=values["is_contact"], actor=staff_user(request)
        )
        comment = selectors.lead_comments(comment.lead).get(pk=comment.pk)
        return Response(s.LeadCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List communications with a lead",
        description="Emails sent and calls made, newest first.",
        responses={200: s.LeadCommunicationSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def communications(self, request: Request, pk: str | None = None) -> Response:
        return self._paginated(selectors.lead_communications(self.get_object()), s.LeadCommunicationSerializer)

    @extend_schema(
        summary="Send an email to a lead",
        description="Queued through the `lead.emailed` email template (replies to the caller; its delivery status "
        "in the outbound log); recorded in the lead's communications; the last contact time moves to now.",
        request=s.LeadEmailSerializer,
        responses={201: s.LeadCommunicationSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="send-email")
    def send_email(self, request: Request, pk: str | None = None) -> Response:
        values = self._input(s.LeadEmailSerializer)
        communication = services.send_lead_email(self.get_object(), actor=staff_user(request), **values)
        return Response(s.LeadCommunicationSerializer(communication).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="History of a lead",
        description="Every logged action on the lead, newest first (merged leads' history included).",
        responses={200: s.ActivitySerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        queryset = Activity.objects.for_target(self.get_object()).for_list().order_by("-created_at", "-pk")
        return self._paginated(queryset, s.ActivitySerializer)

    @extend_schema(
        summary="Merge another lead into this one",
        description="The other lead's comments, communications and history move here; it stays, marked merged.",
        request=s.LeadMergeSerializer,
        responses={200: s.LeadSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        values = self._input(s.LeadMergeSerializer)
        other = get_object_or_404(self.get_queryset(), pk=values["other_id"])
        return self._lead(services.merge_leads(lead, other, actor=staff_user(request)))

    # Many leads -------------------------------------------------------------------------

    @extend_schema(
        summary="Bulk edit leads",
        description=(
            "Sets the status and/or sales person of every visible lead matching all the given filters, all or none. "
            "Setting a sales person also needs `sales.assign_lead`."
        ),
        request=s.LeadBulkEditSerializer,
        responses={200: s.BulkEditResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="bulk-edit")
    def bulk_edit(self, request: Request) -> Response:
        payload = s.LeadBulkEditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("selected_sales_person") is not None and not request.user.has_perm("sales.assign_lead"):
            raise exceptions.PermissionDenied(_("You may not assign leads."))
        query = QueryDict(mutable=True)
        for key, values in payload.filter_params().items():
            query.setlist(key, values)
        filterset = LeadFilterSet(query, queryset=cast(LeadQuerySet, self.get_queryset()).active(), request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        changes = {}
        if data.get("selected_status") is not None:
            changes["sales_status"] = data["selected_status"]
        if data.get("selected_sales_person") is not None:
            changes["sales_person"] = data["selected_sales_person"]
        updated = services.bulk_edit_leads(filterset.qs, actor=staff_user(request), **changes)
        return Response({"success": True, "updated": updated})

    @extend_schema(
        summary="Lead sources",
        description="The distinct sources of the leads the caller may see.",
        responses={
            200: inline_serializer("LeadSources", {"sources": serializers.ListField(child=serializers.CharField())})
        },
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def sources(self, request: Request) -> Response:
        return Response({"sources": selectors.lead_sources(staff_user(request))})

    @extend_schema(
        summary="Sales people",
        description="Active staff who can work leads, with their absence flag (absent ones get no new leads).",
        responses={200: inline_serializer("SalesPeople", {"sales_people": s.SalesPersonSerializer(many=True)})},
    )
    @action(detail=False, methods=["get"], url_path="sales-people", filter_backends=[])
    def sales_people(self, request: Request) -> Response:
        people = selectors.sales_people()
        return Response({"sales_people": s.SalesPersonSerializer(people, many=True).data})

    @extend_schema(
        summary="Upload leads from CSV or XLSX",
        description=(
            "Uploads a CSV or XLSX file and starts the import at once, without a preview (use "
            "`lead-imports/` to preview first). Answers 202 with the import to follow."
        ),
        request={"multipart/form-data": LeadImportCreateSerializer},
        responses={202: LeadImportSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser], filter_backends=[])
    def upload(self, request: Request) -> Response:
        payload = LeadImportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = imports.start_import(payload.create_job(staff_user(request)), actor=staff_user(request))
        job.refresh_from_db()
        return Response(
            LeadImportSerializer(job, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED
        )


def _until(value: str | None) -> dt.datetime:
    if value:
        try:
            return serializers.DateTimeField().to_internal_value(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"until": exc.detail}) from exc
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
