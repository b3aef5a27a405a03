"""The client's email preferences on the portal: marketing email on or off (transactional email is always sent)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications.services import email as email_services
from crm.core.api.errors import ErrorSerializer
from crm.customers.api.permissions import IsPortalCustomer, portal_customer

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class EmailPreferencesSerializer(serializers.Serializer[Any]):
    marketing_opt_out = serializers.BooleanField(
        help_text="True: no marketing email. Transactional email (account, deposits, withdrawals) is always sent."
    )


@extend_schema(tags=["portal: messages"])
class PortalEmailViewSet(viewsets.ViewSet):
    """The caller's own preferences: there is no other client's to name."""

    permission_classes = [IsPortalCustomer]

    @extend_schema(summary="Get my email preferences", responses={200: EmailPreferencesSerializer, **ERRORS})
    @action(detail=False, methods=["get"])
    def preferences(self, request: Request) -> Response:
        opted_out = email_services.marketing_opted_out(portal_customer(request))
        return Response(EmailPreferencesSerializer({"marketing_opt_out": opted_out}).data)

    @extend_schema(
        summary="Change my email preferences",
        description="Turns marketing email off (`true`) or back on (`false`); transactional email is always sent.",
        request=EmailPreferencesSerializer,
        responses={200: EmailPreferencesSerializer, **ERRORS},
    )
    @preferences.mapping.post
    def change_preferences(self, request: Request) -> Response:
        payload = EmailPreferencesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        opted_out = email_services.set_marketing_opt_out(
            portal_customer(request), opted_out=payload.validated_data["marketing_opt_out"], actor=request.user
        )
        return Response(EmailPreferencesSerializer({"marketing_opt_out": opted_out}).data)
