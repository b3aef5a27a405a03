"""Admin notifications over HTTP: the trading platform's paths (`/notification/api/v1/admin-notifications...`)
with their bodies, and the back-office API (`/api/v1/backoffice/admin-notifications/`).

Both answer the caller's own notifications only. The platform paths take `Authorization: Bearer <API token>` (a
staff API token in the place of the platform's JWT), `Token <API token>`, or the admin session (the header
bell). Their errors use the API's one error body (the platform documents none).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.core.api.parsers import request_data
from crm.core.api.schema import SingleObjectSchema
from crm.reports import notifications as services
from crm.reports.api.views import ERRORS, IsStaff
from crm.reports.models import AdminNotification, AdminNotificationType
from crm.users.api.authentication import ApiTokenAuthentication, BearerApiTokenAuthentication

PLATFORM_AUTHENTICATION = [BearerApiTokenAuthentication, ApiTokenAuthentication, SessionAuthentication]


class TimeoutSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField()
    count = serializers.IntegerField()


class AdminNotificationDataSerializer(serializers.Serializer[Any]):
    """The notification's details; which keys it holds depends on `type` (repeated here)."""

    type = serializers.ChoiceField(choices=AdminNotificationType.choices)
    interval = serializers.CharField(required=False, help_text="ExternalOrderTimeout: the interval counted.")
    timeouts = TimeoutSerializer(many=True, required=False, help_text="ExternalOrderTimeout: per market.")
    transactionId = serializers.CharField(required=False)
    customerId = serializers.CharField(required=False)
    payoutId = serializers.CharField(required=False)
    amount = serializers.CharField(required=False, help_text="Decimal amount, as text.")
    currency = serializers.CharField(required=False)
    approval = serializers.ChoiceField(
        choices=["first", "second"],
        required=False,
        help_text="WithdrawalPendingApproval: which approval it waits for.",
    )
    reason = serializers.CharField(required=False)
    accountId = serializers.CharField(required=False, help_text="StopOut: the trading account.")
    positionId = serializers.CharField(required=False, help_text="StopOut: the position closed.")
    note = serializers.CharField(required=False)
    webhookId = serializers.CharField(required=False)
    provider = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    reference = serializers.CharField(required=False)
    error = serializers.CharField(required=False)


def _with_data(fields: dict[str, Any]) -> dict[str, Any]:
    # `data` is the field the platform names; a class attribute of that name would hide Serializer.data.
    return {**fields, "data": AdminNotificationDataSerializer(source="payload")}


class AdminNotificationSerializer(serializers.ModelSerializer[AdminNotification]):
    id = serializers.SerializerMethodField()
    isRead = serializers.BooleanField(source="is_read")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = AdminNotification
        fields = ["id", "type", "data", "isRead", "createdAt"]

    def get_fields(self) -> dict[str, Any]:
        return _with_data(super().get_fields())

    def get_id(self, row: AdminNotification) -> str:
        return str(row.pk)


class AdminNotificationListRequestSerializer(serializers.Serializer[Any]):
    unreadOnly = serializers.BooleanField(required=False, default=False)
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=AdminNotificationType.choices), required=False, max_length=20
    )
    lastId = serializers.RegexField(
        r"^[0-9]{1,18}$", required=False, allow_blank=True, help_text="The last id of the previous page."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=services.MAX_LIMIT)
    createdFrom = serializers.DateTimeField(required=False)
    createdTo = serializers.DateTimeField(required=False)


class AdminNotificationListSerializer(serializers.Serializer[Any]):
    notifications = AdminNotificationSerializer(many=True)


class IdsSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{1,18}$"), max_length=services.MAX_LIMIT, allow_empty=True
    )


class UnreadCountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()


EMPTY_SCHEMA = {"type": "object", "additionalProperties": False, "description": "An empty object."}
PLATFORM_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
PLATFORM_TAGS = ["admin-notifications"]


@extend_schema(
    tags=PLATFORM_TAGS,
    summary="List admin notifications",
    description=(
        "The caller's notifications, newest first: `unreadOnly`, `types`, `createdFrom`/`createdTo`, and "
        f"`lastId` to continue after the last one of the previous page; `limit` 1 to {services.MAX_LIMIT} "
        f"(default {services.DEFAULT_LIMIT})."
    ),
    request=AdminNotificationListRequestSerializer,
    responses={200: AdminNotificationListSerializer, **PLATFORM_ERRORS},
    examples=[
        OpenApiExample(
            "Request",
            request_only=True,
            value={"unreadOnly": True, "types": ["ExternalOrderTimeout"], "lastId": "120", "limit": 20},
        )
    ],
)
@api_view(["POST"])
@authentication_classes(PLATFORM_AUTHENTICATION)
@permission_classes([IsStaff])
def admin_notifications(request: Request) -> Response:
    payload = AdminNotificationListRequestSerializer(data=request_data(request))
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    rows = services.inbox(
        request.user,
        unread_only=data["unreadOnly"],
        types=data.get("types") or (),
        last_id=int(data["lastId"]) if data.get("lastId") else None,
        created_from=data.get("createdFrom"),
        created_to=data.get("createdTo"),
    )[: data.get("limit") or services.DEFAULT_LIMIT]
    return Response({"notifications": AdminNotificationSerializer(rows, many=True).data})


@extend_schema(
    tags=PLATFORM_TAGS,
    summary="Count unread admin notifications",
    responses={200: UnreadCountSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
)
@api_view(["GET"])
@authentication_classes(PLATFORM_AUTHENTICATION)
@permission_classes([IsStaff])
def admin_notifications_unread_count(request: Request) -> Response:
    return Response({"count": services.unread_count(request.user)})


@extend_schema(
    tags=PLATFORM_TAGS,
    summary="Mark admin notifications read",
    description="Ids that are not the caller's, or already read, change nothing.",
    request=IdsSerializer,
    responses={200: EMPTY_SCHEMA, **PLATFORM_ERRORS},
)
@api_view(["POST"])
@authentication_classes(PLATFORM_AUTHENTICATION)
@permission_classes([IsStaff])
def admin_notifications_mark_read(request: Request) -> Response:
    payload = IdsSerializer(data=request_data(request))
    payload.is_valid(raise_exception=True)
    services.mark_read(request.user, [int(pk) for pk in payload.validated_data["ids"]])
    return Response({})


@extend_schema(
    tags=PLATFORM_TAGS,
    summary="Mark every admin notification read",
    request=None,
    responses={200: EMPTY_SCHEMA, 401: ErrorSerializer, 403: ErrorSerializer},
)
@api_view(["POST"])
@authentication_classes(PLATFORM_AUTHENTICATION)
@permission_classes([IsStaff])
def admin_notifications_mark_all_read(request: Request) -> Response:
    services.mark_all_read(request.user)
    return Response({})


# The back-office API: the same notifications in the API's own style (snake_case, limit/offset pages).


class BackofficeAdminNotificationSerializer(serializers.ModelSerializer[AdminNotification]):
    class Meta:
        model = AdminNotification
        fields = ["id", "type", "data", "is_read", "read_at", "created_at"]

    def get_fields(self) -> dict[str, Any]:
        return _with_data(super().get_fields())


class NotificationIdsSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=services.MAX_LIMIT)


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications changed from unread to read.")


class AdminNotificationQuerySerializer(serializers.Serializer[Any]):
    unread_only = serializers.BooleanField(required=False, default=False)
    type = serializers.MultipleChoiceField(choices=AdminNotificationType.choices, required=False)
    created_from = serializers.DateTimeField(required=False)
    created_to = serializers.DateTimeField(required=False)


@extend_schema(tags=["admin-notifications"])
@extend_schema_view(retrieve=extend_schema(summary="Get one of your admin notifications"))
class AdminNotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    """The caller's admin notifications (what they must act on), newest first."""

    serializer_class = BackofficeAdminNotificationSerializer
    permission_classes = [IsStaff]
    filter_backends = ()
    queryset = AdminNotification.objects.none()

    def get_queryset(self) -> QuerySet[AdminNotification]:
        if getattr(self, "swagger_fake_view", False):
            return AdminNotification.objects.none()
        if self.action != "list":
            return AdminNotification.objects.visible_to(self.request.user)
        query = AdminNotificationQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return services.inbox(
            self.request.user,
            unread_only=data["unread_only"],
            types=sorted(data.get("type") or ()),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )

    @extend_schema(
        summary="List your admin notifications",
        parameters=[AdminNotificationQuerySerializer],
        responses={200: serializer_class, **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Count your unread admin notifications",
        responses={200: UnreadCountSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="unread-count", schema=SingleObjectSchema())
    def unread_count(self, request: Request) -> Response:
        return Response({"count": services.unread_count(request.user)})

    @extend_schema(
        summary="Mark admin notifications as read",
        request=NotificationIdsSerializer,
        responses={200: MarkedSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        payload = NotificationIdsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response({"marked": services.mark_read(request.user, payload.validated_data["ids"])})

    @extend_schema(
        summary="Mark all your admin notifications as read", request=None, responses={200: MarkedSerializer, **ERRORS}
    )
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request: Request) -> Response:
        return Response({"marked": services.mark_all_read(request.user)})
