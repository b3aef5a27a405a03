"""`POST /api/v1/portal/autologin/`: the portal page of an auto-login link exchanges its token for a session."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import services_api
from crm.core.api.errors import ErrorSerializer
from crm.core.api.throttling import ScopedRateThrottle
from crm.customers.api.portal import serializers as portal_serializers
from crm.customers.api.portal.common import all_pending_steps, request_meta


class AutologinInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="The token of the auto-login link.")


@extend_schema(tags=["portal: auth"])
class AutologinViewSet(viewsets.GenericViewSet):
    """Auto-login links made for partner sign-ups (affiliate API, Traders Room sign-up)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"
    throttle_classes = [ScopedRateThrottle]
    serializer_class = AutologinInputSerializer

    @extend_schema(
        summary="Log in with an auto-login link",
        description=(
            "Exchanges the token of an auto-login link (`<portal>/autologin/<token>/`) for a portal session, once, "
            "within a few minutes of the sign-up. Expired, reused or forged tokens answer 401; pending "
            "BeforeSignIn onboarding steps answer 403 as for a password log-in."
        ),
        request=AutologinInputSerializer,
        responses={
            200: portal_serializers.SessionSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def create(self, request: Request) -> Response:
        payload = AutologinInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services_api.redeem_autologin_token(payload.validated_data["token"], meta=request_meta(request))
        body = {
            **result.tokens,
            "customer": portal_serializers.ProfileSerializer(result.customer).data,
            "pending_steps": all_pending_steps(result.customer),
        }
        return Response(body)
