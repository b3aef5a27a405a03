"""Public sales endpoints (no authentication, throttled): checking a signup code (000 "Check signup code")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer, error_body
from crm.core.api.throttling import AnonRateThrottle
from crm.sales.models import Lead


class SignupCodeThrottle(AnonRateThrottle):
    """Per-IP limit on code checks, so codes cannot be guessed by brute force."""

    scope = "signup_code"

    def get_rate(self) -> str | None:
        rest_framework: dict[str, Any] = settings.REST_FRAMEWORK  # a dict setting
        rates: dict[str, str | None] = rest_framework.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope, "30/minute")


@extend_schema(
    tags=["public"],
    summary="Check a signup code",
    description=(
        "Whether a signup code handed to a lead is valid (known and not used by a registered client yet). "
        "Answers 200 with the code, or 404. No authentication; limited per IP address."
    ),
    parameters=[OpenApiParameter("code", str, required=True)],
    responses={
        200: inline_serializer("SignupCode", {"code": serializers.CharField()}),
        400: ErrorSerializer,
        404: ErrorSerializer,
        429: ErrorSerializer,
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([SignupCodeThrottle])
def check_signup_code(request: Request) -> Response:
    code = (request.query_params.get("code") or "").strip().upper()
    if not code or len(code) > 32:
        return Response(error_body("validation_error", _("Give a code."), {"code": [_("Required.")]}), status=400)
    if not Lead.objects.active().filter(signup_code=code, customer__isnull=True).exists():
        return Response(error_body("not_found", _("Unknown signup code.")), status=404)
    return Response({"code": code})
