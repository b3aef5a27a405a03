"""Communications models, one module per kind (email, messages, push, sms, calls, timeline)."""

from crm.communications.models.email import (
    EmailDeliveryEvent,
    EmailMessage,
    EmailMessageQuerySet,
    EmailOptOut,
    EmailTemplate,
    EmailTemplateQuerySet,
    EmailTemplateVariant,
    EmailWebhook,
)

__all__ = [
    "EmailDeliveryEvent",
    "EmailMessage",
    "EmailMessageQuerySet",
    "EmailOptOut",
    "EmailTemplate",
    "EmailTemplateQuerySet",
    "EmailTemplateVariant",
    "EmailWebhook",
]
