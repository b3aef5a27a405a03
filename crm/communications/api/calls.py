"""VoIP API (000 Calls #30-42, Settings #233-234): provider settings and availability, agent ids, click-to-call
for a client or a lead, and the calls placed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications.models import AgentMapping, ProviderCall, VoipProvider
from crm.communications.services import calls as services
from crm.core.api.errors import ErrorSerializer
from crm.core.api.filters import IsoDateTimeFilter
from crm.core.api.permissions import StaffModelPermissions
from crm.customers.models import Customer
from crm.sales.models import Lead
from crm.users.models import User
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class VoipProviderSerializer(serializers.ModelSerializer[VoipProvider]):
    url = serializers.CharField(read_only=True, help_text="The provider's request URL; empty until configured.")
    has_api_key = serializers.SerializerMethodField()
    has_webhook_token = serializers.SerializerMethodField()
    is_available = serializers.SerializerMethodField()

    class Meta:
        model = VoipProvider
        fields = ["id", "code", "url", "is_active", "is_available", "has_api_key", "has_webhook_token"]
        read_only_fields = fields

    def get_has_api_key(self, voip: VoipProvider) -> bool:
        return bool(voip.api_key_encrypted)

    def get_has_webhook_token(self, voip: VoipProvider) -> bool:
        return bool(voip.webhook_token_encrypted)

    def get_is_available(self, voip: VoipProvider) -> bool:
        return services.is_available(voip)


class VoipProviderUpdateSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    api_key = serializers.CharField(max_length=500, required=False, write_only=True, help_text="Voiso; never shown.")
    webhook_token = serializers.CharField(
        max_length=200, required=False, write_only=True, help_text="What the provider sends as Bearer; never shown."
    )
    is_active = serializers.BooleanField(required=False, help_text="Make this the provider calls go through.")


class AgentMappingSerializer(serializers.ModelSerializer[AgentMapping]):
    provider = serializers.CharField(source="provider.code", read_only=True)
    agent_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = AgentMapping
        fields = ["id", "provider", "agent_id", "external_id", "created_at"]
        read_only_fields = fields


class AgentMappingCreateSerializer(serializers.Serializer[Any]):
    provider = serializers.ChoiceField(choices=VoipProvider.Code.choices)
    agent_id = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_staff=True))
    external_id = serializers.CharField(max_length=100, help_text="The agent's id (extension) at the provider.")


class ProviderCallSerializer(serializers.ModelSerializer[ProviderCall]):
    provider = serializers.CharField(source="provider.code", read_only=True)
    agent_id = serializers.IntegerField(read_only=True, allow_null=True)
    customer_id = serializers.IntegerField(read_only=True, allow_null=True)
    lead_id = serializers.IntegerField(read_only=True, allow_null=True)
    call_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The client's logged call.")
    recording_url = serializers.CharField(read_only=True, help_text="The recording's link; empty when none.")

    class Meta:
        model = ProviderCall
        fields = [
            "id",
            "provider",
            "agent_id",
            "customer_id",
            "lead_id",
            "phone",
            "external_id",
            "status",
            "was_answered",
            "duration",
            "recording_url",
            "ended_at",
            "call_id",
            "created_at",
        ]
        read_only_fields = fields


class ProviderCallStartSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(required=False, min_value=1)
    lead_id = serializers.IntegerField(required=False, min_value=1)


class ProviderCallFilterSet(filters.FilterSet):
    customer_id = filters.NumberFilter(field_name="customer")
    lead_id = filters.NumberFilter(field_name="lead")
    agent_id = filters.NumberFilter(field_name="agent")
    status = filters.MultipleChoiceFilter(choices=ProviderCall.Status.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ProviderCall
        fields = ["was_answered"]


@extend_schema_view(
    list=extend_schema(summary="List VoIP providers"),
    retrieve=extend_schema(summary="Get a VoIP provider"),
)
@extend_schema(tags=["communications"])
class VoipProviderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[VoipProvider]):
    """Voiso, Coperato and the built-in simulated provider; secrets are write-only."""

    serializer_class = VoipProviderSerializer
    permission_classes = [StaffModelPermissions]
    filter_backends: list[type] = []
    lookup_field = "code"
    lookup_value_regex = "[a-z]+"
    queryset = VoipProvider.objects.none()

    def get_queryset(self) -> QuerySet[VoipProvider]:
        for code in VoipProvider.Code.values:
            services.provider(code)
        return VoipProvider.objects.order_by("code")

    @extend_schema(
        summary="Configure a VoIP provider",
        description="URL, API key and webhook token (both stored encrypted, never shown again); `is_active` "
        "makes it the provider calls go through (refused until it is configured).",
        request=VoipProviderUpdateSerializer,
        responses={200: VoipProviderSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        serializer = VoipProviderUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voip = services.configure_provider(
            self.get_object().code, actor=staff_user(request), **serializer.validated_data
        )
        return Response(VoipProviderSerializer(voip).data)

    @extend_schema(
        summary="Get the current VoIP provider and whether it is available",
        responses={200: VoipProviderSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def current(self, request: Request) -> Response:
        return Response(VoipProviderSerializer(services.active_provider()).data)


@extend_schema_view(
    list=extend_schema(summary="List agents' VoIP ids"),
    destroy=extend_schema(summary="Remove an agent's VoIP id"),
)
@extend_schema(tags=["communications"])
class AgentMappingViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[AgentMapping]):
    """Which id each staff agent has at each VoIP provider."""

    serializer_class = AgentMappingSerializer
    permission_classes = [StaffModelPermissions]
    filter_backends: list[type] = []
    queryset = AgentMapping.objects.none()

    def get_queryset(self) -> QuerySet[AgentMapping]:
        return AgentMapping.objects.select_related("provider")

    @extend_schema(
        summary="Set an agent's VoIP id",
        description="Replaces the agent's earlier id at that provider.",
        request=AgentMappingCreateSerializer,
        responses={201: AgentMappingSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = AgentMappingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        mapping = services.map_agent(
            values["agent_id"], code=values["provider"], external_id=values["external_id"], actor=staff_user(request)
        )
        return Response(AgentMappingSerializer(mapping).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List VoIP calls"),
    retrieve=extend_schema(summary="Get a VoIP call"),
)
@extend_schema(tags=["communications"])
class ProviderCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProviderCall]):
    """Calls with the clients and leads the caller may see; placing one (click-to-call)."""

    serializer_class = ProviderCallSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = ProviderCallFilterSet
    ordering_fields = ["created_at"]
    queryset = ProviderCall.objects.none()

    def get_queryset(self) -> QuerySet[ProviderCall]:
        return ProviderCall.objects.visible_to(self.request.user).for_list()

    @extend_schema(
        summary="Call a client or a lead (click-to-call)",
        description="The active provider rings the caller's phone and connects the client's or lead's number; "
        "its webhooks then report the outcome, which lands on the timeline. Give `customer_id` or `lead_id`. "
        "Refusals: 404 for a client or lead the caller may not see, 400 `no_agent_id`, `no_phone`, "
        "`voip_unavailable`.",
        request=ProviderCallStartSerializer,
        responses={201: ProviderCallSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = ProviderCallStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        agent = staff_user(request)
        customer = lead = None
        if values.get("customer_id"):
            customer = get_object_or_404(Customer.objects.visible_to(agent), pk=values["customer_id"])
        if values.get("lead_id"):
            lead = get_object_or_404(Lead.objects.visible_to(agent), pk=values["lead_id"])
        call = services.start_call(agent=agent, customer=customer, lead=lead)
        call.refresh_from_db()
        return Response(ProviderCallSerializer(call).data, status=status.HTTP_201_CREATED)
