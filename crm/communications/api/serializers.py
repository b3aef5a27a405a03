"""Serializers of the communications API (email templates, the outbound email log, the email provider)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.communications import providers
from crm.communications.models import EmailMessage, EmailTemplate, EmailTemplateVariant
from crm.core.api.fields import MATCH_VALUE_SCHEMA


@extend_schema_field({"type": "object", "additionalProperties": MATCH_VALUE_SCHEMA})
class ConditionsField(serializers.DictField):
    """Event field -> the value it must have, or a list of values it may have."""


class EmailTemplateVariantSerializer(serializers.ModelSerializer[EmailTemplateVariant]):
    language = serializers.ChoiceField(choices=settings.LANGUAGES, help_text="A language other than the default one.")

    class Meta:
        model = EmailTemplateVariant
        fields = ["language", "subject", "mjml", "txt"]


class EmailTemplateSerializer(serializers.ModelSerializer[EmailTemplate]):
    """An email template; `enabled` says whether it is sent."""

    enabled = serializers.BooleanField(source="is_enabled", default=True)
    conditions = ConditionsField(
        required=False,
        help_text='Event fields and the value (or list of values) each must have, e.g. {"is_first": true}.',
    )
    variants = EmailTemplateVariantSerializer(
        many=True, required=False, help_text="The same email in other languages; clients get their language's."
    )

    class Meta:
        model = EmailTemplate
        fields = [
            "id",
            "title",
            "trigger",
            "conditions",
            "recipient",
            "category",
            "enabled",
            "subject",
            "mjml",
            "txt",
            "variants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class EmailTemplateInputSerializer(EmailTemplateSerializer):
    """Every field is checked again by the service (trigger, conditions, variables, MJML)."""

    def to_service(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "is_enabled" in data:
            data["is_enabled"] = bool(data["is_enabled"])
        return data


class TriggerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()
    variables = serializers.ListField(child=serializers.CharField())
    about_customer = serializers.BooleanField(help_text="Whether a template on it may be sent to the client.")
    sensitive = serializers.BooleanField(help_text="Its emails hold a single-use link and keep no body once sent.")


class EmailPreviewQuerySerializer(serializers.Serializer[Any]):
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class EmailPreviewSerializer(serializers.Serializer[Any]):
    language = serializers.CharField()
    subject = serializers.CharField()
    html = serializers.CharField()
    text = serializers.CharField()


class SendTestEmailSerializer(serializers.Serializer[Any]):
    to_email = serializers.EmailField()
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class EmailMessageSerializer(serializers.ModelSerializer[EmailMessage]):
    customer_id = serializers.IntegerField(allow_null=True, read_only=True)
    template_id = serializers.IntegerField(allow_null=True, read_only=True)
    event_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = EmailMessage
        fields = [
            "id",
            "trigger",
            "event_id",
            "template_id",
            "customer_id",
            "to_email",
            "language",
            "category",
            "is_test",
            "subject",
            "text",
            "body_cleared",
            "status",
            "status_at",
            "provider",
            "provider_message_id",
            "sent_at",
            "last_error",
            "attempts",
            "created_at",
        ]
        read_only_fields = fields


class EmailProviderSettingsInputSerializer(serializers.Serializer[Any]):
    """The provider's settings; which are required depends on `provider`."""

    provider = serializers.ChoiceField(choices=providers.Provider.choices)
    sender = serializers.CharField(required=False, max_length=254, help_text="From address, e.g. Broker <no@x.com>.")
    staff_email = serializers.EmailField(required=False, help_text="Where emails addressed to staff go.")
    api_key = serializers.CharField(required=False, write_only=True, max_length=500)
    domain = serializers.CharField(required=False, max_length=255)
    username = serializers.CharField(required=False, max_length=255)
    host = serializers.CharField(required=False, max_length=255)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)
    password = serializers.CharField(required=False, write_only=True, max_length=500)
    secure = serializers.BooleanField(required=False, help_text="TLS (implicit on port 465, STARTTLS otherwise).")
    webhook_secret = serializers.CharField(
        required=False, write_only=True, max_length=500, help_text="user:password the provider's webhook sends."
    )
    webhook_signing_key = serializers.CharField(required=False, write_only=True, max_length=500)
    webhook_verification_key = serializers.CharField(required=False, max_length=2000)
    api_url = serializers.URLField(required=False, help_text="The provider's API base, e.g. its EU region.")


class SmtpSettingsSerializer(serializers.Serializer[Any]):
    host = serializers.CharField(allow_null=True)
    port = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    password_set = serializers.BooleanField()
    secure = serializers.BooleanField(allow_null=True)


class SendgridSettingsSerializer(serializers.Serializer[Any]):
    api_key_set = serializers.BooleanField()
    webhook_secret_set = serializers.BooleanField()
    webhook_verification_key = serializers.CharField(allow_null=True)
    api_url = serializers.CharField(allow_null=True)


class MailgunSettingsSerializer(serializers.Serializer[Any]):
    api_key_set = serializers.BooleanField()
    domain = serializers.CharField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    webhook_signing_key_set = serializers.BooleanField()
    webhook_secret_set = serializers.BooleanField()
    api_url = serializers.CharField(allow_null=True)


class BrevoSettingsSerializer(serializers.Serializer[Any]):
    api_key_set = serializers.BooleanField()
    webhook_secret_set = serializers.BooleanField()
    api_url = serializers.CharField(allow_null=True)


class EmailProviderSettingsSerializer(serializers.Serializer[Any]):
    """The chosen provider and what is stored for each; secrets only as whether they are set."""

    provider = serializers.ChoiceField(choices=providers.Provider.choices)
    sender = serializers.CharField()
    staff_email = serializers.CharField()
    smtp = SmtpSettingsSerializer()
    sendgrid = SendgridSettingsSerializer()
    mailgun = MailgunSettingsSerializer()
    brevo = BrevoSettingsSerializer()
