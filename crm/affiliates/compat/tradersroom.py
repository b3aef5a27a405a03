"""003 "Traders Room — Sign Up API": `POST /tradersroom/api/auth/signup` with `x-api-key`, bodies word for word."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates.compat.authentication import SignupCaller, SignupKeyAuthentication
from crm.affiliates.compat.signup import autologin_for, tradersroom_sign_up
from crm.core.api.parsers import TOO_LARGE, request_data
from crm.core.exceptions import DomainError

logger = logging.getLogger(__name__)
REQUIRED = "Email, phone and first name are required"
INVALID_KEY = {"message": "Invalid secret key", "providerStatus": 401}
SERVER_ERROR = {"message": "Internal server error", "providerStatus": 500}


def _error(message: str, status: int = 400) -> Response:
    return Response({"message": message, "providerStatus": status}, status=status)


class BillingSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)


class AgreementSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=255)  # type: ignore[assignment]  # a declared field named like a Field attribute (DRF allows it)
    ip = serializers.IPAddressField(required=False, allow_blank=True)
    signedAt = serializers.DateTimeField(required=False)


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=255, required=False, allow_blank=True, **kwargs)


class SignUpRequestSerializer(serializers.Serializer):
    """Every field of the Sign Up API's field reference, spelled as that API spells it."""

    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30)
    firstName = serializers.CharField(max_length=150)
    middleName = _text()
    lastName = _text()
    gender = _text()
    dateOfBirth = serializers.DateField(required=False)
    nationality = _text()
    passport = _text()
    additionalPhone = _text()
    affiliateID = _text()
    subID = _text()
    campaignId = _text()
    sourceId = _text()
    meta = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    externalId = _text()
    project = _text()
    desk = _text()
    manager = _text(help_text="Manager (id / email / name)")
    status = _text(help_text="Client (sales) status")
    state = _text()
    type = _text(help_text="Client type")
    companyFeeGroup = _text()
    processed = serializers.BooleanField(required=False)
    verificationLevel = _text()
    verificationStatus = _text()
    allowToCreateAsset = serializers.BooleanField(required=False)
    agreements = AgreementSerializer(many=True, required=False)
    sendEmail = serializers.BooleanField(required=False)
    billing = BillingSerializer(required=False)


def _first_error(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        key, value = next(iter(errors.items()))
        return _first_error(value, f"{prefix}.{key}" if prefix else str(key))
    if isinstance(errors, list) and errors:
        return _first_error(errors[0], prefix)
    return f"{prefix}: {errors}" if prefix else str(errors)


def _missing_required(body: dict) -> bool:
    return any(not str(body.get(name) or "").strip() for name in ("email", "phone", "firstName"))


ERROR_BODY = inline_serializer(
    "TradersRoomError", {"message": serializers.CharField(), "providerStatus": serializers.IntegerField()}
)


@extend_schema(
    tags=["public: traders room"],
    summary="Traders Room — Sign Up",
    description=(
        "Traders Room Sign Up API: registers a new client (each request a new user; the email must be unique), with "
        "marketing/affiliate data and routing. `x-api-key`: a platform API token whose role may add clients, or an "
        "affiliate's partner key (the affiliate, or the sub-IB of its tree named by `affiliateID`, introduces the "
        "client). `affiliateID` is the affiliate's client id or referral key. Answers `{id, url}` where `url` is a "
        "temporary auto-login link, or `{id}` when auto-login is off or the client must first complete sign-in "
        "steps. The `id` answers in the Buckets Leads Status API. `sendEmail: false` sends no confirmation email. "
        "`desk` (name or id) puts the client on that sales desk (its next available member becomes the conversion "
        "agent); platform tokens may also set `manager`, `status` (sales status), `type` (client type) and "
        "`companyFeeGroup` (client group), which an affiliate's key may not. A name that matches nothing is a 400. "
        "`middleName`, `gender`, `nationality`, `additionalPhone`, `project` and `meta` are kept on the client's "
        "sign-up record. `verificationLevel`, `verificationStatus`, `state`, `allowToCreateAsset`, `processed` and "
        "`passport` are managed by the platform and refused (400). "
        'Errors, word for word: 400 `{"message": "' + REQUIRED + '", "providerStatus": 400}` (other '
        'invalid input: the same shape with its own message), 401 `{"message": "Invalid secret key", '
        '"providerStatus": 401}`, 500 `{"message": "Internal server error", "providerStatus": 500}`; a body larger '
        'than the upload limit answers 413 `{"message": "'
        + TOO_LARGE
        + '", "providerStatus": 413}` (not in the published API).'
    ),
    request=SignUpRequestSerializer,
    responses={
        200: inline_serializer(
            "TradersRoomSignUp",
            {
                "id": serializers.CharField(),
                "url": serializers.URLField(required=False, help_text="Auto-login link, valid for a short time."),
            },
        ),
        400: ERROR_BODY,
        401: ERROR_BODY,
        413: ERROR_BODY,
        500: ERROR_BODY,
    },
    examples=[
        OpenApiExample(
            "Basic registration",
            request_only=True,
            value={"email": "user@example.com", "phone": "+1234567890", "firstName": "Jane"},
        ),
        OpenApiExample(
            "With autologin",
            response_only=True,
            status_codes=["200"],
            value={"id": "user-uuid", "url": "https://your-domain/autologin/uuid/"},
        ),
        OpenApiExample("Without autologin", response_only=True, status_codes=["200"], value={"id": "user-uuid"}),
        OpenApiExample(
            "Invalid request",
            response_only=True,
            status_codes=["400"],
            value={"message": REQUIRED, "providerStatus": 400},
        ),
        OpenApiExample("Unauthorized", response_only=True, status_codes=["401"], value=INVALID_KEY),
        OpenApiExample("Server error", response_only=True, status_codes=["500"], value=SERVER_ERROR),
    ],
)
@api_view(["POST"])
@authentication_classes([SignupKeyAuthentication])
@permission_classes([])
@throttle_classes([])
def tradersroom_signup(request: Request) -> Response:
    if not isinstance(request.auth, SignupCaller):
        return Response(INVALID_KEY, status=401)
    try:
        body = request_data(request)
    except APIException as exc:  # unreadable, nested too deep, too large, not JSON: the seed's body, never ours
        return _error(TOO_LARGE, 413) if exc.status_code == 413 else _error(REQUIRED)
    if not isinstance(body, dict) or _missing_required(body):
        return _error(REQUIRED)
    payload = SignUpRequestSerializer(data=body)
    if not payload.is_valid():
        return _error(_first_error(payload.errors))
    try:
        customer = tradersroom_sign_up(request.auth, dict(payload.validated_data))
        url = autologin_for(customer)
    except DomainError as exc:
        return _error(_first_error(exc.fields) if exc.fields else exc.message)
    except DjangoValidationError as exc:
        return _error(_first_error(exc.message_dict) if hasattr(exc, "error_dict") else " ".join(exc.messages))
    except Exception:  # any failure is the seed's 500 body, never a stack trace
        logger.exception("Traders Room sign-up failed")
        return Response(SERVER_ERROR, status=500)
    answer = {"id": str(customer.pk)}
    if url:
        answer["url"] = url
    return Response(answer)
