"""Client portal API serializers: input (`...InputSerializer`) and output kept apart."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from crm.core.api.fields import SignedFileLinkField
from crm.customers.kyc_providers import PROVIDER_CHOICES
from crm.customers.models import (
    ClientType,
    Customer,
    CustomerFieldConfiguration,
    Document,
    OnboardingStage,
    OnboardingStep,
    VerificationLevel,
    VerificationLimit,
)
from crm.users.models import Device, LoginRecord

# Input ------------------------------------------------------------------------------------------


class DeviceInputSerializer(serializers.Serializer):
    platform = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    user_agent = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    web_timezone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ProfileFieldsSerializer(serializers.Serializer):
    """The profile fields a client fills in (which ones a form asks for is the field configuration's say)."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = PhoneNumberField(required=False, allow_blank=True)
    country = CountryField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    address_line1 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=10, required=False)


class SignUpInputSerializer(ProfileFieldsSerializer):
    form = serializers.ChoiceField(choices=["demo", "real"], help_text="Demo or real sign-up form.")
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    wtreferrer = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="Referral key.")
    affiliate_id = serializers.IntegerField(required=False, min_value=1, help_text="Client id of the affiliate.")
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    utm_source = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=255, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    captcha_token = serializers.CharField(required=False, allow_blank=True, help_text="When CAPTCHA is on.")
    device = DeviceInputSerializer(required=False)

    ATTRIBUTION = (
        "wtreferrer",
        "affiliate_id",
        "campaign",
        "source",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "external_id",
    )


class LogInInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"})
    otp_code = serializers.CharField(required=False, allow_blank=True, help_text="When two-factor is on.")
    captcha_token = serializers.CharField(required=False, allow_blank=True, help_text="When CAPTCHA is on.")
    device = DeviceInputSerializer(required=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField()


class EmailResendInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="Only when not logged in.")


class CodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)


class PasswordResetRequestInputSerializer(serializers.Serializer):
    contact = serializers.CharField(max_length=255, help_text="The email address or phone number of the account.")


class PasswordResetInputSerializer(serializers.Serializer):
    reset_token = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    password_confirmation = serializers.CharField(style={"input_type": "password"})

    def validate(self, attrs):
        if attrs["password"] != attrs["password_confirmation"]:
            raise serializers.ValidationError({"password_confirmation": [_("The passwords differ.")]})
        return attrs


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(style={"input_type": "password"})
    new_password = serializers.CharField(style={"input_type": "password"})


class PictureInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class DocumentUploadInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=Document.Type.choices)
    file = serializers.FileField()


class TwoFactorDisableInputSerializer(serializers.Serializer):
    password = serializers.CharField(style={"input_type": "password"})
    code = serializers.CharField(max_length=20, help_text="Authenticator or recovery code.")


# Output -----------------------------------------------------------------------------------------


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class ProfileSerializer(serializers.ModelSerializer):
    country = CountryField(read_only=True, allow_blank=True)
    phone = serializers.CharField(read_only=True)
    client_type = serializers.CharField(source="client_type.name", read_only=True, allow_null=True, default=None)
    verification_level = serializers.CharField(
        source="verification_level.name", read_only=True, allow_null=True, default=None
    )
    has_profile_picture = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "country",
            "language",
            "date_of_birth",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "currency",
            "status",
            "kyc_status",
            "client_type",
            "verification_level",
            "referral_key",
            "registered_at",
            "confirmed_at",
            "phone_confirmed_at",
            "deposit_disclaimer_accepted_at",
            "termination_requested_at",
            "has_profile_picture",
        ]
        read_only_fields = fields

    def get_has_profile_picture(self, customer: Customer) -> bool:
        return bool(customer.profile_picture)


class SessionSerializer(TokenPairSerializer):
    customer = ProfileSerializer()
    pending_steps = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=OnboardingStep.choices)),
        help_text="Onboarding steps still to do, by stage.",
    )


class EmailStatusSerializer(serializers.Serializer):
    email = serializers.EmailField()
    confirmed = serializers.BooleanField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class PendingStepsSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=OnboardingStage.choices)
    steps = serializers.ListField(child=serializers.ChoiceField(choices=OnboardingStep.choices))


class FieldConfigurationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerFieldConfiguration
        fields = ["field", "step", "required", "editable"]


class PictureSerializer(serializers.Serializer):
    url = serializers.CharField(allow_null=True, help_text="Short-lived signed link, or null without a picture.")


class PortalDocumentSerializer(serializers.ModelSerializer):
    url = SignedFileLinkField(source="file", help_text="Short-lived signed link to the file, for the client.")

    class Meta:
        model = Document
        fields = [
            "id",
            "document_type",
            "status",
            "rejection_reason",
            "original_name",
            "size",
            "created_at",
            "reviewed_at",
            "url",
        ]
        read_only_fields = fields


class KycStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Customer.KycStatus.choices)
    verification_level = serializers.CharField(allow_null=True)
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES)
    sumsub_enabled = serializers.BooleanField()


class KycSessionSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES)
    token = serializers.CharField(allow_null=True, help_text="SumSub WebSDK access token; null for manual upload.")
    level_name = serializers.CharField(allow_null=True)


class LoginRecordSerializer(serializers.ModelSerializer):
    by_staff = serializers.SerializerMethodField(help_text="A staff member logged in as you (impersonation).")

    class Meta:
        model = LoginRecord
        fields = ["id", "ip_address", "created_at", "result", "reason", "user_agent", "by_staff"]
        read_only_fields = fields

    def get_by_staff(self, record: LoginRecord) -> bool:
        return record.impersonated_by_id is not None


class DeviceSerializer(serializers.ModelSerializer):
    is_current_device = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "platform",
            "user_agent",
            "web_timezone",
            "ip_address",
            "last_sign_in",
            "created_at",
            "is_current_device",
        ]
        read_only_fields = fields

    def get_is_current_device(self, device: Device) -> bool:
        return device.pk == self.context.get("current_device_id")


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    recovery_codes_left = serializers.IntegerField()


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret to type into the app.")
    config_url = serializers.CharField(help_text="otpauth:// URL to show as a QR code.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown once; each works once.")


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(source="code.code")
    name = serializers.CharField(source="code.name")


class ClientTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientType
        fields = ["id", "name", "group", "is_default", "has_wizard"]


class VerificationLimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = VerificationLimit
        fields = [
            "currency",
            "daily_deposit",
            "daily_withdrawal",
            "monthly_withdrawal",
            "daily_internal_transfer",
            "auto_withdrawal",
            "transfer_min",
        ]


class VerificationLevelSerializer(serializers.ModelSerializer):
    limits = VerificationLimitSerializer(many=True)
    allowed_operations = serializers.ListField(
        child=serializers.ChoiceField(choices=VerificationLevel.Operation.choices),
        help_text="Operations a client at this level may do.",
    )
    required_document_groups = serializers.ListField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=Document.Type.choices)),
        source="document_groups",
        help_text="Groups of document types; each group needs any one of its types approved, e.g. "
        '[["passport", "id_card"], ["proof_of_address"]].',
    )

    class Meta:
        model = VerificationLevel
        fields = [
            "id",
            "name",
            "description",
            "rank",
            "next_level",
            "is_default",
            "allowed_operations",
            "required_document_groups",
            "limits",
        ]


class CaptchaSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    site_key = serializers.CharField(allow_blank=True)
