"""Back-office assignment rules API: `/api/v1/backoffice/lead-assignment-rules/`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions
from crm.sales.models import AssignmentRule
from crm.sales.services import rules
from crm.users.models import Desk, User
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class AssignmentRuleSerializer(serializers.ModelSerializer):
    countries = serializers.ListField(child=serializers.CharField(), help_text="Country codes; empty: any.")
    languages = serializers.ListField(child=serializers.CharField(), help_text="Language codes; empty: any.")
    sources = serializers.ListField(child=serializers.CharField(), help_text="Lead sources, exact; empty: any.")

    class Meta:
        model = AssignmentRule
        fields = [
            "id",
            "name",
            "priority",
            "is_active",
            "countries",
            "languages",
            "sources",
            "desk_id",
            "agent_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssignmentRuleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    priority = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(required=False)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=10), required=False)
    sources = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    desk_id = serializers.PrimaryKeyRelatedField(source="desk", queryset=Desk.objects.all())
    agent_id = serializers.PrimaryKeyRelatedField(
        source="agent", queryset=User.objects.active_staff(), required=False, allow_null=True
    )


@extend_schema_view(
    list=extend_schema(summary="List assignment rules", description="In the order they are tried."),
    retrieve=extend_schema(summary="Get an assignment rule"),
    create=extend_schema(
        summary="Create an assignment rule",
        description="Empty countries, languages or sources match anything; without an agent: round-robin.",
        request=AssignmentRuleWriteSerializer,
        responses={201: AssignmentRuleSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update an assignment rule",
        request=AssignmentRuleWriteSerializer(partial=True),
        responses={200: AssignmentRuleSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="Delete an assignment rule", responses={204: None, **ERRORS}),
)
@extend_schema(tags=["leads"])
class AssignmentRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = AssignmentRuleSerializer
    permission_classes = [StaffModelPermissions]
    queryset = AssignmentRule.objects.order_by("priority", "pk")

    def create(self, request: Request) -> Response:
        payload = AssignmentRuleWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = rules.create_rule(actor=staff_user(request), **payload.validated_data)
        return Response(AssignmentRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        rule = self.get_object()
        payload = AssignmentRuleWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        return Response(
            AssignmentRuleSerializer(rules.update_rule(rule, actor=staff_user(request), **payload.validated_data)).data
        )

    def perform_destroy(self, instance: AssignmentRule) -> None:
        rules.delete_rule(instance, actor=staff_user(self.request))
