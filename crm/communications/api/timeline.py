"""The communication timeline API (000 "Get customer communications"): one client's or one lead's
comments, calls, messages, pushes, text messages and emails, newest first, paged by limit and offset."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications import timeline
from crm.core.api.errors import ErrorSerializer
from crm.core.api.pagination import LimitOffsetPagination
from crm.core.api.permissions import ActionPermissions
from crm.customers.models import Customer
from crm.sales.models import Lead

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class TimelineEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    channel = serializers.CharField(help_text="comment, call, message, push, sms, email (leads: lead_communication).")
    direction = serializers.CharField(help_text="out (to the client), in (from the client), note (staff only).")
    status = serializers.CharField()
    subject = serializers.CharField()
    text = serializers.CharField()
    by = serializers.CharField(help_text="The staff member, empty for the system.")
    ref = serializers.CharField(help_text="The entry's record, as kind:id.")


class TimelinePageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TimelineEntrySerializer(many=True)


CHANNELS = OpenApiParameter(
    "channel",
    OpenApiTypes.STR,
    many=True,
    description="Only these channels (repeat the parameter); all by default.",
)
PAGE = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Entries per page."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Entries to skip (at most 1000 back in all)."),
]


class _TimelineViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    serializer_class = TimelinePageSerializer
    permission_classes = [ActionPermissions]
    filter_backends: list[type] = []

    def _page(self, request: Request, built: timeline.Timeline[Any]) -> Response:
        paginator = LimitOffsetPagination()
        page: list[Any] | None = paginator.paginate_queryset(built, request, view=self)  # type: ignore[arg-type]  # sliceable, countable
        data = TimelineEntrySerializer(page, many=True).data
        return paginator.get_paginated_response(data)


@extend_schema(tags=["communications"])
class CustomerTimelineViewSet(_TimelineViewSet):
    """The timeline of a client the caller may see; another agent's client answers 404."""

    action_permissions = {"retrieve": ("customers.view_customer",)}
    queryset = Customer.objects.none()

    def get_queryset(self) -> QuerySet[Customer]:
        return Customer.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Get a client's communications",
        parameters=[CHANNELS, *PAGE],
        responses={200: TimelinePageSerializer, **ERRORS},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        channels = request.query_params.getlist("channel") or None
        return self._page(request, timeline.customer_timeline(self.get_object(), channels=channels))


@extend_schema(tags=["communications"])
class LeadTimelineViewSet(_TimelineViewSet):
    """The timeline of a lead the caller may see; another agent's lead answers 404."""

    action_permissions = {"retrieve": ("sales.view_lead",)}
    queryset = Lead.objects.none()

    def get_queryset(self) -> QuerySet[Lead]:
        return Lead.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Get a lead's communications",
        parameters=[CHANNELS, *PAGE],
        responses={200: TimelinePageSerializer, **ERRORS},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        channels = request.query_params.getlist("channel") or None
        return self._page(request, timeline.lead_timeline(self.get_object(), channels=channels))
