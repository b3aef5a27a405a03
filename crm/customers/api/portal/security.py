"""Account security in the portal: login records, devices, two-factor authentication."""

from __future__ import annotations

from base64 import b32encode

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.exceptions import Conflict, DomainError
from crm.customers.api.permissions import IsPortalCustomer
from crm.customers.api.portal import serializers as s
from crm.customers.api.portal.common import ERRORS, NOT_FOUND, NotImpersonated, current_device_id, example
from crm.users import security
from crm.users import services as user_services
from crm.users.models import Device, LoginRecord
from crm.users.requests import staff_user

RECORD_EXAMPLE = {
    "id": 91,
    "ip_address": "203.0.113.7",
    "created_at": "2025-01-12T08:30:00Z",
    "result": "success",
    "reason": "password",
    "user_agent": "Mozilla/5.0",
    "by_staff": False,
}
DEVICE_EXAMPLE = {
    "id": 3,
    "platform": "web",
    "user_agent": "Mozilla/5.0",
    "web_timezone": "Europe/London",
    "ip_address": "203.0.113.7",
    "last_sign_in": "2025-01-12T08:30:00Z",
    "created_at": "2025-01-02T10:00:00Z",
    "is_current_device": True,
}
CODES_EXAMPLE = example("Recovery codes", {"recovery_codes": ["k3j9x2pq", "8dh2mz0a"]})


@extend_schema_view(
    list=extend_schema(
        summary="My login records",
        description="Every log-in attempt on the account, newest first, including staff logging in as the client.",
        examples=[example("Log-in", RECORD_EXAMPLE)],
    )
)
@extend_schema(tags=["portal: security"])
class PortalLoginRecordViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsPortalCustomer]
    serializer_class = s.LoginRecordSerializer
    filter_backends: list = []
    queryset = LoginRecord.objects.none()

    def get_queryset(self) -> QuerySet[LoginRecord]:
        return LoginRecord.objects.filter(user=staff_user(self.request)).order_by("-created_at", "-pk")


@extend_schema_view(
    list=extend_schema(
        summary="My devices",
        description="Browsers and apps the client logged in from; `is_current_device` marks this one.",
        examples=[example("Device", DEVICE_EXAMPLE)],
    ),
    destroy=extend_schema(
        summary="Remove a device",
        description="Forgets the device and logs it out (its refresh token is revoked). Others' devices: 404.",
        responses={204: None, **ERRORS, **NOT_FOUND},
    ),
)
@extend_schema(tags=["portal: security"])
class PortalDeviceViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsPortalCustomer]
    serializer_class = s.DeviceSerializer
    filter_backends: list = []
    queryset = Device.objects.none()

    def get_queryset(self) -> QuerySet[Device]:
        return Device.objects.filter(user=staff_user(self.request)).order_by("-last_sign_in", "-pk")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "current_device_id": current_device_id(self.request)}

    def perform_destroy(self, instance: Device) -> None:
        security.remove_device(instance, actor=staff_user(self.request))


@extend_schema(tags=["portal: security"])
class PortalTwoFactorViewSet(viewsets.GenericViewSet):
    """Optional TOTP two-factor for the log-in, with single-use recovery codes."""

    permission_classes = [IsPortalCustomer, NotImpersonated]
    serializer_class = s.TwoFactorStatusSerializer

    def _code(self, request: Request) -> str:
        serializer = s.CodeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["code"]

    @extend_schema(
        summary="Two-factor status",
        responses={200: s.TwoFactorStatusSerializer, **ERRORS},
        examples=[example("On", {"enabled": True, "recovery_codes_left": 9})],
    )
    @action(detail=False, methods=["get"], url_path="status")
    def two_factor_status(self, request: Request) -> Response:
        left = StaticToken.objects.filter(device__user=request.user).count()
        return Response({"enabled": security.has_two_factor(staff_user(request)), "recovery_codes_left": left})

    @extend_schema(
        summary="Start two-factor set-up",
        description="A new secret for the authenticator app; confirm it with a first code. 409 when already on.",
        request=None,
        responses={200: s.TwoFactorSetupSerializer, 409: ERRORS[400], **ERRORS},
        examples=[example("Secret", {"secret": "JBSWY3DPEHPK3PXP", "config_url": "otpauth://totp/…"})],
    )
    @action(detail=False, methods=["post"], url_path="setup", url_name="setup")
    def start_setup(self, request: Request) -> Response:
        # Not named `setup`: that would shadow View.setup.
        user = staff_user(request)
        if security.has_two_factor(user):
            raise Conflict(_("Two-factor is already on."), code="two_factor_enabled")
        device = user_services.start_totp_setup(user)
        return Response({"secret": b32encode(device.bin_key).decode(), "config_url": device.config_url})

    @extend_schema(
        summary="Confirm two-factor set-up",
        description="The first code from the app turns two-factor on; the answer holds the recovery codes, once.",
        request=s.CodeInputSerializer,
        responses={200: s.RecoveryCodesSerializer, **ERRORS},
        examples=[example("Code", {"code": "123456"}, request=True), CODES_EXAMPLE],
    )
    @action(detail=False, methods=["post"])
    def confirm(self, request: Request) -> Response:
        code = self._code(request)
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is None:
            raise DomainError(_("Start the set-up first."), code="two_factor_not_started")
        user_services.confirm_totp_device(device, token=code)
        return Response({"recovery_codes": security.new_recovery_codes(staff_user(request))})

    @extend_schema(
        summary="New recovery codes",
        description="Replaces the recovery codes; needs a current authenticator or recovery code.",
        request=s.CodeInputSerializer,
        responses={200: s.RecoveryCodesSerializer, **ERRORS},
        examples=[example("Code", {"code": "123456"}, request=True), CODES_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="recovery-codes")
    def recovery_codes(self, request: Request) -> Response:
        self._require_code(request, self._code(request))
        return Response({"recovery_codes": security.new_recovery_codes(staff_user(request))})

    @extend_schema(
        summary="Turn two-factor off",
        description="Needs the password and a current authenticator or recovery code.",
        request=s.TwoFactorDisableInputSerializer,
        responses={204: None, **ERRORS},
        examples=[example("Off", {"password": "my passphrase", "code": "123456"}, request=True)],
    )
    @action(detail=False, methods=["post"])
    def disable(self, request: Request) -> Response:
        serializer = s.TwoFactorDisableInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not request.user.check_password(serializer.validated_data["password"]):
            raise DomainError(_("The password is wrong."), code="wrong_password", fields={"password": [_("Wrong.")]})
        self._require_code(request, serializer.validated_data["code"])
        security.disable_two_factor(staff_user(request), actor=staff_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _require_code(self, request: Request, code: str) -> None:
        user = staff_user(request)
        if not security.has_two_factor(user):
            raise DomainError(_("Two-factor is off."), code="two_factor_disabled")
        if not security.verify_second_factor(user, code):
            raise DomainError(_("The code is not valid."), code="invalid_otp", fields={"code": [_("Wrong code.")]})
