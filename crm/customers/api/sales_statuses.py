"""Back-office sales statuses API (000 "Sales Status"): create, list, get by id or by name, update."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions
from crm.customers import services
from crm.customers.models import SalesStatus
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class SalesStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesStatus
        fields = ["id", "name", "color", "sort_order"]
        read_only_fields = fields


class SalesStatusWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.CharField(max_length=7, required=False, help_text="Hex colour, e.g. #22c55e.")
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


@extend_schema_view(
    list=extend_schema(summary="List sales statuses", description="In display order."),
    retrieve=extend_schema(summary="Get a sales status"),
    create=extend_schema(
        summary="Create a sales status",
        request=SalesStatusWriteSerializer,
        responses={201: SalesStatusSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a sales status",
        request=SalesStatusWriteSerializer(partial=True),
        responses={200: SalesStatusSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["sales statuses"])
class SalesStatusViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sales statuses shared by leads and clients; changes through the service, logged."""

    serializer_class = SalesStatusSerializer
    permission_classes = [StaffModelPermissions]
    queryset = SalesStatus.objects.order_by("sort_order", "name")

    def create(self, request: Request) -> Response:
        payload = SalesStatusWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sales_status = services.create_sales_status(actor=staff_user(request), **payload.validated_data)
        return Response(SalesStatusSerializer(sales_status).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        sales_status = self.get_object()
        payload = SalesStatusWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        sales_status = services.update_sales_status(sales_status, actor=staff_user(request), **payload.validated_data)
        return Response(SalesStatusSerializer(sales_status).data)

    @extend_schema(
        summary="Get a sales status by name",
        description="The name is matched case-insensitively.",
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH)],
        responses={200: SalesStatusSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"], url_path=r"by-name/(?P<name>[^/]+)", url_name="by-name")
    def by_name(self, request: Request, name: str) -> Response:
        return Response(SalesStatusSerializer(get_object_or_404(self.get_queryset(), name__iexact=name)).data)
