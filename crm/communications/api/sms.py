"""Text messages API: staff text a client through the active SMS provider; the texts sent to the clients the
caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications.models import TextMessage
from crm.communications.services import sms as services
from crm.core.api.errors import ErrorSerializer
from crm.core.api.filters import IsoDateTimeFilter
from crm.core.api.permissions import StaffModelPermissions
from crm.customers.models import Customer
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class TextMessageSerializer(serializers.ModelSerializer[TextMessage]):
    customer_id = serializers.IntegerField(read_only=True, allow_null=True)
    sender_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = TextMessage
        fields = ["id", "customer_id", "sender_id", "phone", "text", "provider", "status", "created_at"]
        read_only_fields = fields


class TextMessageSendSerializer(serializers.Serializer[Any]):
    customer_id = serializers.IntegerField(min_value=1)
    text = serializers.CharField(max_length=services.MAX_TEXT)


class TextMessageFilterSet(filters.FilterSet):
    customer_id = filters.NumberFilter(field_name="customer")
    status = filters.MultipleChoiceFilter(choices=TextMessage.Status.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = TextMessage
        fields = ["provider"]


@extend_schema_view(
    list=extend_schema(summary="List text messages sent to clients"),
    retrieve=extend_schema(summary="Get a text message"),
)
@extend_schema(tags=["communications"])
class TextMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[TextMessage]):
    """Texts to the clients the caller may see (system texts with their codes masked)."""

    serializer_class = TextMessageSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = TextMessageFilterSet
    ordering_fields = ["created_at"]
    queryset = TextMessage.objects.none()

    def get_queryset(self) -> QuerySet[TextMessage]:
        return TextMessage.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Text a client",
        description="Sent through the active SMS provider (Twilio, or the log); stamps the client's "
        "`last_contact_at`. A provider refusal answers 400 `sms_failed` and the failed text is kept.",
        request=TextMessageSendSerializer,
        responses={201: TextMessageSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = TextMessageSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = staff_user(request)
        customer = get_object_or_404(Customer.objects.visible_to(actor), pk=serializer.validated_data["customer_id"])
        record = services.send_text_message(customer, text=serializer.validated_data["text"], actor=actor)
        return Response(TextMessageSerializer(record).data, status=status.HTTP_201_CREATED)
