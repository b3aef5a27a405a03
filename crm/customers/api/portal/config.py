"""What the portal front end needs before anyone logs in: countries, client types, levels, CAPTCHA key."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core import captcha
from crm.customers.api.portal import serializers as s
from crm.customers.api.portal.common import example
from crm.customers.models import ClientType, Country, VerificationLevel, VerificationLimit, country_value


@extend_schema(tags=["portal: configuration"])
class PortalConfigViewSet(viewsets.GenericViewSet):
    """Public, read-only configuration; unpaginated (the tables are small)."""

    pagination_class = None  # answers plain arrays

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = s.CaptchaSerializer
    queryset = Country.objects.none()

    @extend_schema(
        summary="Countries open for sign-up",
        responses={200: s.CountrySerializer(many=True)},
        examples=[example("Country", {"code": "GB", "name": "United Kingdom"})],
    )
    @action(detail=False, methods=["get"])
    def countries(self, request: Request) -> Response:
        rows = sorted(Country.objects.filter(is_enabled=True), key=lambda country: country_value(country.code).name)
        return Response(s.CountrySerializer(rows, many=True).data)

    @extend_schema(
        summary="Client types",
        description="Enabled client types; the default one is given at sign-up.",
        responses={200: s.ClientTypeSerializer(many=True)},
        examples=[
            example(
                "Type", {"id": 1, "name": "Individual", "group": "individual", "is_default": True, "has_wizard": False}
            )
        ],
    )
    @action(detail=False, methods=["get"], url_path="client-types")
    def client_types(self, request: Request) -> Response:
        return Response(s.ClientTypeSerializer(ClientType.objects.filter(is_enabled=True), many=True).data)

    @extend_schema(
        summary="Verification levels",
        description="Visible KYC levels with what each allows and its limits per currency.",
        responses={200: s.VerificationLevelSerializer(many=True)},
        examples=[
            example(
                "Level",
                {
                    "id": 1,
                    "name": "Basic",
                    "description": "",
                    "rank": 0,
                    "next_level": 2,
                    "is_default": True,
                    "allowed_operations": ["deposit"],
                    "required_document_groups": [],
                    "limits": [
                        {
                            "currency": "USD",
                            "daily_deposit": "1000.00000000",
                            "daily_withdrawal": None,
                            "monthly_withdrawal": None,
                            "daily_internal_transfer": None,
                            "auto_withdrawal": None,
                            "transfer_min": None,
                        }
                    ],
                },
            )
        ],
    )
    @action(detail=False, methods=["get"], url_path="verification-levels")
    def verification_levels(self, request: Request) -> Response:
        levels = VerificationLevel.objects.filter(is_visible=True).prefetch_related(
            Prefetch("limits", queryset=VerificationLimit.objects.order_by("currency"))
        )
        return Response(s.VerificationLevelSerializer(levels, many=True).data)

    @extend_schema(
        summary="CAPTCHA site key",
        description="Whether sign-up and log-in ask for a reCAPTCHA token, and the public site key.",
        responses={200: s.CaptchaSerializer},
        examples=[example("On", {"enabled": True, "site_key": "6LcXXXXAAAAA"})],
    )
    @action(detail=False, methods=["get"])
    def captcha(self, request: Request) -> Response:
        return Response({"enabled": captcha.is_enabled(), "site_key": captcha.site_key()})
