"""Portal authentication: sign-up, log-in, tokens, email and phone confirmation, passwords."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core import captcha
from crm.core.api.throttling import ScopedRateThrottle
from crm.customers import services
from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.customers.api.portal import serializers as s
from crm.customers.api.portal.common import (
    ERRORS,
    ONBOARDING_ERROR_EXAMPLE,
    SESSION_EXAMPLE,
    SUCCESS_EXAMPLE,
    NotImpersonated,
    all_pending_steps,
    example,
    request_meta,
)
from crm.customers.models import Customer
from crm.users import security
from crm.users.models import User
from crm.users.requests import staff_user

THROTTLED = [ScopedRateThrottle]


def _input(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _session(result: services.LoginResult, request: Request, *, status_code: int = 200) -> Response:
    body = {
        **result.tokens,
        "customer": s.ProfileSerializer(result.customer).data,
        "pending_steps": all_pending_steps(result.customer),
    }
    return Response(body, status=status_code)


# Routes that need no login ignore any credentials sent with them: a stale access token left in a portal's
# HTTP client must not stop a log-in or a password reset.
ANONYMOUS: dict[str, Any] = {"authentication_classes": [], "permission_classes": [AllowAny]}


@extend_schema(tags=["portal: auth"])
class PortalAuthViewSet(viewsets.GenericViewSet):
    """Sign-up and sessions of portal clients; sign-up, log-in and token-by-mail routes are throttled."""

    permission_classes = [AllowAny]
    throttle_scope = "auth"
    serializer_class = s.SuccessSerializer

    @extend_schema(
        summary="Sign up",
        description=(
            "Creates the portal login and the client from the demo or the real form. The form's required fields "
            "come from the field configuration (`GET onboarding/forms/{step}/`). Attribution: `wtreferrer` "
            "(referral key) or `affiliate_id` makes the introducer; campaign, source, UTM and external id are "
            "kept. A confirmation email is sent. Answers 409 when the email is registered."
        ),
        request=s.SignUpInputSerializer,
        responses={201: s.SessionSerializer, 409: ERRORS[400], 429: ERRORS[400], **ERRORS},
        examples=[
            example(
                "Real form",
                {
                    "form": "real",
                    "email": "jane@example.com",
                    "password": "a long passphrase",
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "phone": "+447911123456",
                    "country": "GB",
                    "wtreferrer": "IB-7F3K",
                    "utm_source": "google",
                    "captcha_token": "03AGdBq2…",
                },
                request=True,
            ),
            example("Signed up", SESSION_EXAMPLE, status="201"),
        ],
    )
    @action(detail=False, methods=["post"], url_path="sign-up", throttle_classes=THROTTLED, **ANONYMOUS)
    def sign_up(self, request: Request) -> Response:
        data = _input(s.SignUpInputSerializer, request)
        meta = request_meta(request)
        captcha.verify(data.pop("captcha_token", ""), ip=meta["ip"])
        device = data.pop("device", None)
        attribution = {name: data.pop(name) for name in s.SignUpInputSerializer.ATTRIBUTION if name in data}
        with transaction.atomic():
            customer = services.sign_up(
                form=data.pop("form"),
                email=data.pop("email"),
                password=data.pop("password"),
                values=data,
                attribution=attribution,
            )
            result = services.start_session(
                customer, meta=meta, device=device, reason=security.LoginRecord.Reason.SIGN_UP
            )
        return _session(result, request, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Log in",
        description=(
            "Email and password (and `otp_code` when two-factor is on). Refused with `login_locked` after "
            "repeated failures, `otp_required` without a code, and `onboarding_incomplete` naming the pending "
            "BeforeSignIn steps. Every attempt is written to the login records."
        ),
        request=s.LogInInputSerializer,
        responses={200: s.SessionSerializer, 429: ERRORS[400], **ERRORS},
        examples=[
            example(
                "Log in",
                {
                    "email": "jane@example.com",
                    "password": "a long passphrase",
                    "device": {"platform": "web", "user_agent": "Mozilla/5.0", "web_timezone": "Europe/London"},
                },
                request=True,
            ),
            example("Logged in", SESSION_EXAMPLE),
            ONBOARDING_ERROR_EXAMPLE,
        ],
    )
    @action(detail=False, methods=["post"], url_path="log-in", throttle_classes=THROTTLED, **ANONYMOUS)
    def log_in(self, request: Request) -> Response:
        data = _input(s.LogInInputSerializer, request)
        meta = request_meta(request)
        captcha.verify(data.get("captcha_token", ""), ip=meta["ip"])
        result = services.log_in(
            email=data["email"],
            password=data["password"],
            otp_code=data.get("otp_code", ""),
            meta=meta,
            device=data.get("device"),
        )
        return _session(result, request)

    @extend_schema(
        summary="Refresh the tokens",
        description="Trades a refresh token for a new pair; the old refresh token stops working.",
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, **ERRORS},
        examples=[
            example("Refresh", {"refresh": "eyJhbGciOiJIUzI1NiJ9.refresh…"}, request=True),
            example("New pair", {"access": "eyJ….access", "refresh": "eyJ….refresh"}),
        ],
    )
    @action(detail=False, methods=["post"], **ANONYMOUS)
    def refresh(self, request: Request) -> Response:
        data = _input(s.RefreshInputSerializer, request)
        return Response(services.refresh_session(data["refresh"]))

    @extend_schema(
        summary="Log out",
        description="Revokes the refresh token: it cannot be used again.",
        request=s.RefreshInputSerializer,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[example("Log out", {"refresh": "eyJhbGciOiJIUzI1NiJ9.refresh…"}, request=True), SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="log-out", permission_classes=[IsPortalCustomer])
    def log_out(self, request: Request) -> Response:
        data = _input(s.RefreshInputSerializer, request)
        services.end_session(cast(User, request.user), data["refresh"])
        return Response({"success": True})

    # Email ---------------------------------------------------------------------------------

    @extend_schema(
        summary="Confirm the email",
        description="Uses the token from the confirmation email (once). The client becomes active.",
        request=s.TokenInputSerializer,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[example("Token", {"token": "Xk3…"}, request=True), SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="email/verify", throttle_classes=THROTTLED, **ANONYMOUS)
    def verify_email(self, request: Request) -> Response:
        services.confirm_email(_input(s.TokenInputSerializer, request)["token"])
        return Response({"success": True})

    @extend_schema(
        summary="Send the confirmation email again",
        description=(
            "Logged in: to the client's email. Not logged in: give `email`; the answer is the same whether or not "
            "it is registered. An earlier link stops working."
        ),
        request=s.EmailResendInputSerializer,
        responses={200: s.SuccessSerializer, 409: ERRORS[400], 429: ERRORS[400], **ERRORS},
        examples=[example("Anonymous", {"email": "jane@example.com"}, request=True), SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="email/resend", throttle_classes=THROTTLED)
    def resend_email(self, request: Request) -> Response:
        data = _input(s.EmailResendInputSerializer, request)
        if IsPortalCustomer().has_permission(request, self):
            services.send_email_confirmation(portal_customer(request))
            return Response({"success": True})
        customer = Customer.objects.filter(email__iexact=data.get("email", ""), user__isnull=False).first()
        if (
            customer is not None
            and customer.confirmed_at is None
            and services.portal_customer_of(cast(User, customer.user))
        ):
            services.send_email_confirmation(customer)
        return Response({"success": True})

    @extend_schema(
        summary="Email confirmation status",
        responses={200: s.EmailStatusSerializer, **ERRORS},
        examples=[
            example(
                "Confirmed", {"email": "jane@example.com", "confirmed": True, "confirmed_at": "2025-01-10T09:05:00Z"}
            )
        ],
    )
    @action(detail=False, methods=["get"], url_path="email/status", permission_classes=[IsPortalCustomer])
    def email_status(self, request: Request) -> Response:
        customer = portal_customer(request)
        return Response(
            {
                "email": customer.email,
                "confirmed": customer.confirmed_at is not None,
                "confirmed_at": customer.confirmed_at,
            }
        )

    # Phone ---------------------------------------------------------------------------------

    @extend_schema(
        summary="Text a confirmation code",
        description="Sends a six-digit code to the client's phone; it expires in minutes.",
        request=None,
        responses={200: s.SuccessSerializer, 409: ERRORS[400], 429: ERRORS[400], **ERRORS},
        examples=[SUCCESS_EXAMPLE],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="phone/send-code",
        permission_classes=[IsPortalCustomer],
        throttle_classes=THROTTLED,
    )
    def send_phone_code(self, request: Request) -> Response:
        services.send_phone_code(portal_customer(request))
        return Response({"success": True})

    @extend_schema(
        summary="Confirm the phone",
        description="Checks the code; five wrong codes void it.",
        request=s.CodeInputSerializer,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[example("Code", {"code": "123456"}, request=True), SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="phone/verify", permission_classes=[IsPortalCustomer])
    def verify_phone(self, request: Request) -> Response:
        services.confirm_phone(portal_customer(request), _input(s.CodeInputSerializer, request)["code"])
        return Response({"success": True})

    # Password ------------------------------------------------------------------------------

    @extend_schema(
        summary="Ask for a password reset",
        description=(
            "By email address (a link) or phone number (a token by text). The answer is the same whether or not "
            "the contact is registered."
        ),
        request=s.PasswordResetRequestInputSerializer,
        responses={200: s.SuccessSerializer, 429: ERRORS[400], **ERRORS},
        examples=[example("By email", {"contact": "jane@example.com"}, request=True), SUCCESS_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="password/reset-request", throttle_classes=THROTTLED, **ANONYMOUS)
    def request_password_reset(self, request: Request) -> Response:
        services.request_password_reset(_input(s.PasswordResetRequestInputSerializer, request)["contact"])
        return Response({"success": True})

    @extend_schema(
        summary="Reset the password",
        description="Sets a new password with the reset token (once, before it expires); every session ends.",
        request=s.PasswordResetInputSerializer,
        responses={200: s.SuccessSerializer, **ERRORS},
        examples=[
            example(
                "Reset",
                {"reset_token": "Xk3…", "password": "a new passphrase", "password_confirmation": "a new passphrase"},
                request=True,
            ),
            SUCCESS_EXAMPLE,
        ],
    )
    @action(detail=False, methods=["post"], url_path="password/reset", throttle_classes=THROTTLED, **ANONYMOUS)
    def reset_password(self, request: Request) -> Response:
        data = _input(s.PasswordResetInputSerializer, request)
        services.reset_password(data["reset_token"], password=data["password"])
        return Response({"success": True})

    @extend_schema(
        summary="Change the password",
        description="Needs the current password; other sessions end, and a new token pair is returned.",
        request=s.PasswordChangeInputSerializer,
        responses={200: s.TokenPairSerializer, **ERRORS},
        examples=[
            example(
                "Change", {"current_password": "old passphrase", "new_password": "a new passphrase"}, request=True
            ),
            example("New pair", {"access": "eyJ….access", "refresh": "eyJ….refresh"}),
        ],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="password/change",
        permission_classes=[IsPortalCustomer, NotImpersonated],
    )
    def change_password(self, request: Request) -> Response:
        data = _input(s.PasswordChangeInputSerializer, request)
        user = services.change_password(
            staff_user(request), current_password=data["current_password"], new_password=data["new_password"]
        )
        return Response(security.issue_tokens(user))
