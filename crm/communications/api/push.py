"""Web push API (000 Push Notifications): the VAPID public key, the caller's own subscriptions by topic
(clients `user`, staff `admin`), and staff sending a notification to a client."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications.models import PushNotification, PushSubscription, PushTopic
from crm.communications.services import push as services
from crm.core.api.errors import ErrorSerializer
from crm.core.api.filters import IsoDateTimeFilter
from crm.core.api.permissions import StaffModelPermissions
from crm.customers.api.permissions import IsPortalCustomer
from crm.customers.models import Customer
from crm.users.models import User
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
PUBLIC_KEY = inline_serializer("VapidPublicKey", {"public_vapid_key": serializers.CharField()})
REMOVED = inline_serializer("PushSubscriptionsRemoved", {"removed": serializers.IntegerField()})


class IsActiveStaff(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class PushKeysSerializer(serializers.Serializer[Any]):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class BrowserSubscriptionSerializer(serializers.Serializer[Any]):
    """The browser's PushSubscription.toJSON()."""

    endpoint = serializers.URLField(max_length=1000)
    expiration_time = serializers.DateTimeField(required=False, allow_null=True)
    keys = PushKeysSerializer()


class PushSubscriptionCreateSerializer(serializers.Serializer[Any]):
    subscription = BrowserSubscriptionSerializer()
    topic = serializers.ChoiceField(choices=PushTopic.choices, help_text="`user` for clients, `admin` for staff.")


class PushSubscriptionSerializer(serializers.ModelSerializer[PushSubscription]):
    keys = serializers.SerializerMethodField()

    class Meta:
        model = PushSubscription
        fields = ["id", "topic", "endpoint", "keys", "expiration_time", "created_at"]
        read_only_fields = fields

    def get_keys(self, subscription: PushSubscription) -> dict[str, str]:
        return {"p256dh": subscription.p256dh, "auth": subscription.auth}


class PushUnsubscribeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(required=False, min_value=1)
    endpoint = serializers.URLField(required=False, max_length=1000)
    topic = serializers.ChoiceField(choices=PushTopic.choices, required=False)


class PushSubscriptionFilterSet(filters.FilterSet):
    topic = filters.ChoiceFilter(choices=PushTopic.choices, label="Only this topic")
    endpoint = filters.CharFilter(label="Only the subscription of this push service endpoint")

    class Meta:
        model = PushSubscription
        fields = ["topic", "endpoint"]


class OwnPushSubscriptions(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[PushSubscription]):
    """The caller's own subscriptions; another user's subscription answers 404."""

    serializer_class = PushSubscriptionSerializer
    filterset_class = PushSubscriptionFilterSet
    filter_backends = [filters.DjangoFilterBackend]
    queryset = PushSubscription.objects.none()

    def get_queryset(self) -> QuerySet[PushSubscription]:
        user = self.request.user
        if not isinstance(user, User):  # the schema generator's anonymous request
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=user)

    def create(self, request: Request) -> Response:
        serializer = PushSubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        browser = values["subscription"]
        subscription = services.subscribe(
            staff_user(request),
            endpoint=browser["endpoint"],
            p256dh=browser["keys"]["p256dh"],
            auth=browser["keys"]["auth"],
            expiration_time=browser.get("expiration_time"),
            topic=values["topic"],
        )
        return Response(PushSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: PushSubscription) -> None:
        services.unsubscribe(staff_user(self.request), pk=instance.pk)

    def _unsubscribe(self, request: Request) -> Response:
        serializer = PushUnsubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        removed = services.unsubscribe(
            staff_user(request),
            pk=values.get("id"),
            endpoint=values.get("endpoint", ""),
            topic=values.get("topic", ""),
        )
        return Response({"removed": removed})

    def _public_key(self, request: Request) -> Response:
        return Response({"public_vapid_key": services.vapid_public_key()})


SUBSCRIPTION_DOCS = {
    "list": extend_schema(summary="List my push subscriptions"),
    "destroy": extend_schema(summary="Delete my push subscription"),
    "create": extend_schema(
        summary="Subscribe this browser to push notifications",
        description="Subscribing the same endpoint and topic again updates it.",
        request=PushSubscriptionCreateSerializer,
        responses={201: PushSubscriptionSerializer, **ERRORS},
    ),
}


@extend_schema_view(**SUBSCRIPTION_DOCS)
@extend_schema(tags=["portal: push"])
class PortalPushSubscriptionViewSet(OwnPushSubscriptions):
    """The client's browsers subscribed to the `user` topic."""

    permission_classes = [IsPortalCustomer]

    @extend_schema(summary="Get the VAPID public key", responses={200: PUBLIC_KEY, **ERRORS})
    @action(detail=False, methods=["get"], url_path="public-key", pagination_class=None, filter_backends=[])
    def public_key(self, request: Request) -> Response:
        return self._public_key(request)

    @extend_schema(
        summary="Unsubscribe by endpoint or topic",
        request=PushUnsubscribeSerializer,
        responses={200: REMOVED, **ERRORS},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def unsubscribe(self, request: Request) -> Response:
        return self._unsubscribe(request)


@extend_schema_view(**SUBSCRIPTION_DOCS)
@extend_schema(tags=["communications"])
class StaffPushSubscriptionViewSet(OwnPushSubscriptions):
    """The staff member's browsers subscribed to the `admin` topic (staff alerts)."""

    permission_classes = [IsActiveStaff]

    @extend_schema(summary="Get the VAPID public key", responses={200: PUBLIC_KEY, **ERRORS})
    @action(detail=False, methods=["get"], url_path="public-key", pagination_class=None, filter_backends=[])
    def public_key(self, request: Request) -> Response:
        return self._public_key(request)

    @extend_schema(
        summary="Unsubscribe by endpoint or topic",
        request=PushUnsubscribeSerializer,
        responses={200: REMOVED, **ERRORS},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def unsubscribe(self, request: Request) -> Response:
        return self._unsubscribe(request)


# Notifications ----------------------------------------------------------------------------------------


class PushContentSerializer(serializers.Serializer[Any]):
    """What the portal's service worker shows."""

    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    url = serializers.CharField(max_length=1000, required=False, allow_blank=True, help_text="Opened on a click.")
    icon = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    message_id = serializers.IntegerField(
        required=False, read_only=True, help_text="The inbox message, for a message sent as push."
    )


class PushNotificationSerializer(serializers.ModelSerializer[PushNotification]):
    customer_id = serializers.IntegerField(read_only=True, allow_null=True)
    sender_id = serializers.IntegerField(read_only=True, allow_null=True)
    message_id = serializers.IntegerField(read_only=True, allow_null=True)
    notification = PushContentSerializer(source="payload", read_only=True)

    class Meta:
        model = PushNotification
        fields = [
            "id",
            "customer_id",
            "message_id",
            "sender_id",
            "topic",
            "notification",
            "ttl",
            "status",
            "delivered",
            "failed",
            "removed",
            "created_at",
        ]
        read_only_fields = fields


class PushNotificationSendSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(min_value=1)
    topic = serializers.ChoiceField(choices=PushTopic.choices, default=PushTopic.USER, help_text="Clients: `user`.")
    notification = PushContentSerializer()
    ttl = serializers.IntegerField(min_value=0, max_value=services.MAX_TTL, default=0, help_text="Seconds.")


class PushNotificationFilterSet(filters.FilterSet):
    customer_id = filters.NumberFilter(field_name="customer")
    status = filters.MultipleChoiceFilter(choices=PushNotification.Status.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PushNotification
        fields = ["topic"]


@extend_schema_view(
    list=extend_schema(summary="List push notifications sent to clients"),
    retrieve=extend_schema(summary="Get a push notification"),
)
@extend_schema(tags=["communications"])
class PushNotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[PushNotification]
):
    """Pushes to the clients the caller may see, with their delivery outcome."""

    serializer_class = PushNotificationSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = PushNotificationFilterSet
    ordering_fields = ["created_at"]
    queryset = PushNotification.objects.none()

    def get_queryset(self) -> QuerySet[PushNotification]:
        return PushNotification.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Send a push notification to a client",
        description="Queued and sent to every subscription of the client and topic; subscriptions the push "
        "service says are gone are removed. `status` tells the outcome.",
        request=PushNotificationSendSerializer,
        responses={201: PushNotificationSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = PushNotificationSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        actor = staff_user(request)
        customer = get_object_or_404(Customer.objects.visible_to(actor), pk=values["customer_id"])
        notification = services.notify_customer(
            customer, notification=dict(values["notification"]), topic=values["topic"], ttl=values["ttl"], actor=actor
        )
        notification.refresh_from_db()
        return Response(PushNotificationSerializer(notification).data, status=status.HTTP_201_CREATED)
