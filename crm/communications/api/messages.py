"""Messages API: staff send to one client, to chosen clients, to all or to a client group (back office);
the client's inbox with its unread count and read state (portal)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications.models import GroupMessage, Message, MessageType
from crm.communications.services import messages as services
from crm.core.api.errors import ErrorSerializer
from crm.core.api.filters import IsoDateTimeFilter
from crm.core.api.permissions import StaffModelPermissions
from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.customers.models import ClientGroup, Customer
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Serializers -------------------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer[Message]):
    customer_id = serializers.IntegerField(read_only=True)
    sender_id = serializers.IntegerField(read_only=True, allow_null=True)
    group_message_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "customer_id",
            "sender_id",
            "group_message_id",
            "subject",
            "text",
            "via_push",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields


class MessageSendSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(min_value=1)
    subject = serializers.CharField(max_length=255)
    text = serializers.CharField(max_length=20_000)
    type = serializers.ChoiceField(choices=MessageType.choices, default=MessageType.MESSAGE)


class GroupMessageSerializer(serializers.ModelSerializer[GroupMessage]):
    sender_id = serializers.IntegerField(read_only=True, allow_null=True)
    client_group_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = GroupMessage
        fields = [
            "id",
            "audience",
            "client_group_id",
            "type",
            "subject",
            "text",
            "sender_id",
            "recipient_count",
            "created_at",
        ]
        read_only_fields = fields


class GroupMessageSendSerializer(serializers.Serializer[Any]):
    audience = serializers.ChoiceField(choices=GroupMessage.Audience.choices)
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=services.MAX_CHOSEN,
        help_text="The clients, when the audience is `customers`.",
    )
    client_group_id = serializers.PrimaryKeyRelatedField(
        queryset=ClientGroup.objects.all(), required=False, help_text="The client group, when the audience is `group`."
    )
    subject = serializers.CharField(max_length=255)
    text = serializers.CharField(max_length=20_000)
    type = serializers.ChoiceField(choices=MessageType.choices, default=MessageType.MESSAGE)


class PortalMessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = ["id", "subject", "text", "via_push", "read_at", "created_at"]
        read_only_fields = fields


UNREAD = inline_serializer("UnreadMessages", {"unread_count": serializers.IntegerField()})


# Filters -----------------------------------------------------------------------------------------------


class MessageFilterSet(filters.FilterSet):
    customer_id = filters.NumberFilter(field_name="customer")
    group_message_id = filters.NumberFilter(field_name="group_message")
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Not read yet"))
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Message
        fields = ["via_push"]


class GroupMessageFilterSet(filters.FilterSet):
    audience = filters.MultipleChoiceFilter(choices=GroupMessage.Audience.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = GroupMessage
        fields = ["type"]


# Back office -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List messages sent to clients"),
    retrieve=extend_schema(summary="Get a message"),
)
@extend_schema(tags=["communications"])
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Message]):
    """Inbox messages of the clients the caller may see; sending one to a client."""

    serializer_class = MessageSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = MessageFilterSet
    ordering_fields = ["created_at"]
    queryset = Message.objects.none()

    def get_queryset(self) -> QuerySet[Message]:
        return Message.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Send a message to a client",
        description="Puts the message in the client's portal inbox; `push` also sends it as a web push to the "
        "client's subscriptions. Stamps the client's `last_contact_at`. A client the caller may not see answers 404.",
        request=MessageSendSerializer,
        responses={201: MessageSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        values = _validated(MessageSendSerializer, request.data)
        actor = staff_user(request)
        customer = get_object_or_404(Customer.objects.visible_to(actor), pk=values.pop("customer_id"))
        message = services.send_message(customer, actor=actor, **values)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List group messages"),
    retrieve=extend_schema(summary="Get a group message"),
)
@extend_schema(tags=["communications"])
class GroupMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[GroupMessage]):
    """Messages sent to many clients at once."""

    serializer_class = GroupMessageSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = GroupMessageFilterSet
    ordering_fields = ["created_at"]
    queryset = GroupMessage.objects.none()

    def get_queryset(self) -> QuerySet[GroupMessage]:
        return GroupMessage.objects.all()

    @extend_schema(
        summary="Send a message to chosen clients, to all clients or to a client group",
        description="Reaches the clients of the audience that the caller may see; `recipient_count` says how many. "
        "Chosen clients the caller may not see are a field error.",
        request=GroupMessageSendSerializer,
        responses={201: GroupMessageSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        values = _validated(GroupMessageSendSerializer, request.data)
        group = services.send_group_message(
            audience=values["audience"],
            subject=values["subject"],
            text=values["text"],
            type=values["type"],
            customer_ids=values.get("customer_ids", []),
            client_group=values.get("client_group_id"),
            actor=staff_user(request),
        )
        return Response(GroupMessageSerializer(group).data, status=status.HTTP_201_CREATED)


# Portal ------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List my messages"),
    retrieve=extend_schema(summary="Get one of my messages"),
)
@extend_schema(tags=["portal: messages"])
class PortalMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Message]):
    """The client's inbox, newest first; another client's message answers 404."""

    serializer_class = PortalMessageSerializer
    permission_classes = [IsPortalCustomer]
    filter_backends: list[type] = []
    queryset = Message.objects.none()

    def get_queryset(self) -> QuerySet[Message]:
        return Message.objects.filter(customer=portal_customer(self.request))

    @extend_schema(summary="Count my unread messages", responses={200: UNREAD, **ERRORS})
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response({"unread_count": services.unread_count(portal_customer(request))})

    @extend_schema(
        summary="Mark my message as read",
        description="Reading it again keeps the first time.",
        request=None,
        responses={200: PortalMessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        message = services.mark_read(self.get_object(), customer=portal_customer(request))
        return Response(PortalMessageSerializer(message).data)
