"""Back-office sales desks API (000 "Sales Desk"): create, update, get, delete, list, with members and manager."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions
from crm.users import services
from crm.users.models import Desk, User

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class DeskPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)
    email = serializers.EmailField(read_only=True)
    is_absent = serializers.BooleanField(read_only=True)


class DeskSerializer(serializers.ModelSerializer):
    manager = DeskPersonSerializer(read_only=True, allow_null=True)
    sales_people = DeskPersonSerializer(source="members", many=True, read_only=True)

    class Meta:
        model = Desk
        fields = ["id", "name", "desk_type", "manager", "sales_people", "created_at", "updated_at"]
        read_only_fields = fields


class DeskWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    desk_type = serializers.ChoiceField(choices=Desk.Type.choices, required=False)
    manager_id = serializers.PrimaryKeyRelatedField(
        source="manager", queryset=User.objects.active_staff(), required=False, allow_null=True
    )
    member_ids = serializers.PrimaryKeyRelatedField(
        source="members", queryset=User.objects.active_staff(), many=True, required=False
    )


class DeskDeletedSerializer(serializers.Serializer):
    message = serializers.CharField()


@extend_schema_view(
    list=extend_schema(summary="List sales desks"),
    retrieve=extend_schema(summary="Get a sales desk"),
    create=extend_schema(
        summary="Create a sales desk",
        description="A conversion or retention desk with its manager and members (sales people).",
        request=DeskWriteSerializer,
        responses={201: DeskSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a sales desk",
        description="`member_ids` replaces the members.",
        request=DeskWriteSerializer(partial=True),
        responses={200: DeskSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a sales desk",
        description="Leads on the desk keep their sales people.",
        responses={200: DeskDeletedSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["sales desks"])
class DeskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DeskSerializer
    permission_classes = [StaffModelPermissions]
    queryset = Desk.objects.for_list().order_by("name")

    def _desk(self, desk: Desk, code: int = status.HTTP_200_OK) -> Response:
        return Response(DeskSerializer(Desk.objects.for_list().get(pk=desk.pk)).data, status=code)

    def create(self, request: Request) -> Response:
        payload = DeskWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._desk(services.create_desk(actor=request.user, **payload.validated_data), status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        desk = self.get_object()
        payload = DeskWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        return self._desk(services.update_desk(desk, actor=request.user, **payload.validated_data))

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.delete_desk(self.get_object(), actor=request.user)
        return Response({"message": _("Deleted.")})
