"""Back-office configuration of the portal: onboarding steps per stage, form fields, KYC and CAPTCHA providers."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core import captcha
from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions, require_perms
from crm.core.services import get_setting
from crm.customers import services
from crm.customers.api.portal.common import example
from crm.customers.api.portal.serializers import FieldConfigurationSerializer
from crm.customers.models import CustomerFieldConfiguration, OnboardingStage, OnboardingStepConfiguration
from crm.customers.portal_models import FORM_STEPS, PORTAL_FIELDS
from crm.users.requests import staff_user

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class OnboardingStepConfigurationSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnboardingStepConfiguration
        fields = ["step", "stage", "updated_at"]
        read_only_fields = ["step", "updated_at"]


class OnboardingStepConfigureSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=OnboardingStage.choices, allow_null=True)


class FieldConfigurationInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=PORTAL_FIELDS)
    step = serializers.ChoiceField(choices=FORM_STEPS, allow_null=True)
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named "required" shadows Field.required
    editable = serializers.BooleanField()


class FieldConfigurationsInputSerializer(serializers.Serializer):
    customer_field_configurations = FieldConfigurationInputSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="Onboarding step configuration",
        description="Each step with the stage at which it is required (null: not required).",
    ),
    partial_update=extend_schema(
        summary="Set a step's stage",
        request=OnboardingStepConfigureSerializer,
        responses={200: OnboardingStepConfigurationSerializer, **ERRORS},
        examples=[example("Require KYC before withdrawal", {"stage": "BeforeWithdrawal"}, request=True)],
    ),
)
@extend_schema(tags=["onboarding"])
class OnboardingStepConfigurationViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = OnboardingStepConfigurationSerializer
    permission_classes = [StaffModelPermissions]
    queryset = OnboardingStepConfiguration.objects.order_by("step")
    lookup_field = "step"
    lookup_value_regex = "[A-Za-z]+"
    pagination_class = None
    filter_backends: list = []
    http_method_names = ["get", "patch", "head", "options"]

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        config = self.get_object()
        payload = OnboardingStepConfigureSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        config = services.configure_step(config.step, stage=payload.validated_data["stage"], actor=staff_user(request))
        return Response(self.get_serializer(config).data)


@extend_schema(tags=["onboarding"])
class CustomerFieldConfigurationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = FieldConfigurationSerializer
    permission_classes = [StaffModelPermissions]
    queryset = CustomerFieldConfiguration.objects.order_by("field")
    pagination_class = None
    filter_backends: list = []

    @extend_schema(summary="Customer field configurations", description="Step, required and editable per field.")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Update customer field configurations",
        description="Sets step, required and editable of the listed fields, all or none.",
        request=FieldConfigurationsInputSerializer,
        responses={200: FieldConfigurationSerializer(many=True), **ERRORS},
        examples=[
            example(
                "Phone on the real form",
                {
                    "customer_field_configurations": [
                        {"field": "phone", "step": "SignupRealForm", "required": True, "editable": True}
                    ]
                },
                request=True,
            )
        ],
    )
    @action(detail=False, methods=["put"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        payload = FieldConfigurationsInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = [dict(row) for row in payload.validated_data["customer_field_configurations"]]
        services.update_field_configurations(rows, actor=staff_user(request))
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


class SumsubSettingsInputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(default=True, help_text="Make SumSub the KYC provider (false: manual).")
    api_url = serializers.URLField()
    secret_key = serializers.CharField(write_only=True)
    app_token = serializers.CharField(write_only=True)
    level_name = serializers.CharField()
    webhook_secret_key = serializers.CharField(write_only=True)


class SumsubSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    api_url = serializers.CharField()
    level_name = serializers.CharField()
    secret_key_set = serializers.BooleanField()
    app_token_set = serializers.BooleanField()
    webhook_secret_key_set = serializers.BooleanField()


class RecaptchaSettingsInputSerializer(serializers.Serializer):
    site_key = serializers.CharField(allow_blank=True)
    secret = serializers.CharField(write_only=True, allow_blank=True)
    score = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=Decimal(0), max_value=Decimal(1))


class RecaptchaSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    site_key = serializers.CharField()
    score = serializers.DecimalField(max_digits=3, decimal_places=2)
    secret_set = serializers.BooleanField()


def _recaptcha() -> dict:
    return {
        "enabled": captcha.is_enabled(),
        "site_key": captcha.site_key(),
        "score": Decimal(str(get_setting(captcha.SCORE, default=captcha.DEFAULT_SCORE))),
        "secret_set": bool(get_setting(captcha.SECRET, default="")),
    }


@extend_schema(tags=["settings"])
class ProviderSettingsViewSet(viewsets.GenericViewSet):
    """SumSub and reCAPTCHA settings; secrets are written, never read back (only whether they are set)."""

    permission_classes = [require_perms("core.change_setting")]
    serializer_class = SumsubSettingsSerializer

    @extend_schema(methods=["GET"], summary="SumSub settings", responses={200: SumsubSettingsSerializer, **ERRORS})
    @extend_schema(
        methods=["PUT"],
        summary="Configure SumSub for KYC verification",
        request=SumsubSettingsInputSerializer,
        responses={200: SumsubSettingsSerializer, **ERRORS},
        examples=[
            example(
                "SumSub",
                {
                    "api_url": "https://api.sumsub.com",
                    "secret_key": "…",
                    "app_token": "sbx:…",
                    "level_name": "basic-kyc-level",
                    "webhook_secret_key": "…",
                },
                request=True,
            )
        ],
    )
    @action(detail=False, methods=["get", "put"])
    def sumsub(self, request: Request) -> Response:
        if request.method == "PUT":
            payload = SumsubSettingsInputSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            services.configure_sumsub(actor=staff_user(request), **payload.validated_data)
        return Response(services.sumsub_settings())

    @extend_schema(
        methods=["GET"], summary="reCAPTCHA settings", responses={200: RecaptchaSettingsSerializer, **ERRORS}
    )
    @extend_schema(
        methods=["PUT"],
        summary="Update reCAPTCHA settings",
        request=RecaptchaSettingsInputSerializer,
        responses={200: RecaptchaSettingsSerializer, **ERRORS},
        examples=[example("v3", {"site_key": "6LcX…", "secret": "6LcX…secret", "score": "0.50"}, request=True)],
    )
    @action(detail=False, methods=["get", "put"])
    def recaptcha(self, request: Request) -> Response:
        if request.method == "PUT":
            payload = RecaptchaSettingsInputSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            captcha.configure_recaptcha(actor=request.user, **payload.validated_data)
        return Response(RecaptchaSettingsSerializer(_recaptcha()).data)
