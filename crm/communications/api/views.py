"""Back-office API of email: templates (CRUD, triggers, preview, test email), the outbound log, the provider."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.communications import providers
from crm.communications.api import serializers as s
from crm.communications.api.filters import EmailMessageFilterSet, EmailTemplateFilterSet
from crm.communications.models import EmailMessage, EmailTemplate
from crm.communications.services import email as email_services
from crm.communications.services import email_providers
from crm.communications.triggers import triggers
from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import ActionPermissions, require_perms

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["backoffice: email"]


def _input(data: Any, *, partial: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    payload = s.EmailTemplateInputSerializer(data=data, partial=partial)
    payload.is_valid(raise_exception=True)
    values = payload.to_service()
    variants = values.pop("variants", None)
    return values, [dict(variant) for variant in variants] if variants is not None else None


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary="Get email templates"),
    retrieve=extend_schema(summary="Get email template by ID"),
    destroy=extend_schema(summary="Delete email template by ID"),
)
class EmailTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[EmailTemplate],
):
    """Emails sent on the product's events; unknown variables or triggers are refused with field errors."""

    serializer_class = s.EmailTemplateSerializer
    filterset_class = EmailTemplateFilterSet
    permission_classes = [ActionPermissions]
    action_permissions = {
        "triggers": ["communications.view_emailtemplate"],
        "preview": ["communications.view_emailtemplate"],
        "send_test": ["communications.send_test_emailtemplate"],
    }
    ordering_fields = ["id", "trigger", "title"]

    def get_queryset(self) -> QuerySet[EmailTemplate]:
        return EmailTemplate.objects.for_list().order_by("trigger", "id")

    @extend_schema(
        summary="Create email template",
        request=s.EmailTemplateInputSerializer,
        responses={201: s.EmailTemplateSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        values, variants = _input(request.data)
        template = email_services.save_email_template(None, actor=request.user, variants=variants, **values)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update email template by ID",
        request=s.EmailTemplateInputSerializer,
        responses={200: s.EmailTemplateSerializer, **ERRORS},
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        values, variants = _input(request.data)
        template = email_services.save_email_template(template, actor=request.user, variants=variants, **values)
        return Response(self.get_serializer(EmailTemplate.objects.for_list().get(pk=template.pk)).data)

    @extend_schema(
        summary="Change some fields of an email template",
        request=s.EmailTemplateInputSerializer,
        responses={200: s.EmailTemplateSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        values, variants = _input(request.data, partial=True)
        template = email_services.save_email_template(template, actor=request.user, variants=variants, **values)
        return Response(self.get_serializer(EmailTemplate.objects.for_list().get(pk=template.pk)).data)

    def perform_destroy(self, instance: EmailTemplate) -> None:
        email_services.delete_email_template(instance, actor=self.request.user)

    @extend_schema(
        summary="Get email triggers",
        description="Every event the product emits, with the variables a template on it may use.",
        responses={200: s.TriggerSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def triggers(self, request: Request) -> Response:
        rows = [
            {
                "name": trigger.name,
                "description": str(trigger.description),
                "variables": list(trigger.variables),
                "about_customer": trigger.about_customer,
                "sensitive": trigger.sensitive,
            }
            for trigger in triggers().values()
        ]
        return Response(s.TriggerSerializer(rows, many=True).data)

    @extend_schema(
        summary="Preview an email template",
        description="The template rendered with sample values (each variable shows its own name).",
        parameters=[s.EmailPreviewQuerySerializer],
        responses={200: s.EmailPreviewSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def preview(self, request: Request, pk: str | None = None) -> Response:
        query = s.EmailPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = email_services.preview_email_template(
            self.get_object(), language=query.validated_data.get("language")
        )
        return Response(s.EmailPreviewSerializer(result).data)

    @extend_schema(
        summary="Send test email",
        request=s.SendTestEmailSerializer,
        responses={202: s.EmailMessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="send-test", filterset_class=None)
    def send_test(self, request: Request, pk: str | None = None) -> Response:
        payload = s.SendTestEmailSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = email_services.send_test_email(self.get_object(), actor=request.user, **payload.validated_data)
        message.refresh_from_db()
        return Response(s.EmailMessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary="List sent emails", description="The outbound log: one row per email and recipient."),
    retrieve=extend_schema(summary="Get one sent email"),
)
class EmailMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[EmailMessage]):
    """Every email the product sent or tried to send, with the provider's last report."""

    serializer_class = s.EmailMessageSerializer
    filterset_class = EmailMessageFilterSet
    permission_classes = [ActionPermissions]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[EmailMessage]:
        return EmailMessage.objects.visible_to(self.request.user).order_by("-id")


@extend_schema(tags=TAGS)
class EmailProviderViewSet(viewsets.GenericViewSet[Any]):
    """The provider that sends email and its settings; secrets are written, never read back."""

    permission_classes = [require_perms("core.change_setting")]
    serializer_class = s.EmailProviderSettingsSerializer
    pagination_class = None

    @extend_schema(
        methods=["GET"],
        summary="Email provider settings",
        responses={200: s.EmailProviderSettingsSerializer, **ERRORS},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set the email provider",
        description="SMTP, SendGrid, Mailgun or Brevo with their settings, or `default` (console / EMAIL_URL). "
        "Secrets left out keep their stored value.",
        request=s.EmailProviderSettingsInputSerializer,
        responses={200: s.EmailProviderSettingsSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get", "put"])
    def current(self, request: Request) -> Response:
        if request.method == "PUT":
            payload = s.EmailProviderSettingsInputSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            email_providers.configure_email_provider(actor=request.user, **payload.validated_data)
        return Response(s.EmailProviderSettingsSerializer(providers.public_settings()).data)
