"""Communications models, one module per kind (email, messages, push, sms, calls, timeline)."""

from crm.communications.models.calls import AgentMapping, CallEvent, ProviderCall, VoipProvider
from crm.communications.models.email import (
    EmailBody,
    EmailDeliveryEvent,
    EmailMessage,
    EmailMessageQuerySet,
    EmailOptOut,
    EmailTemplate,
    EmailTemplateQuerySet,
    EmailTemplateVariant,
    EmailWebhook,
)
from crm.communications.models.messages import GroupMessage, Message, MessageType
from crm.communications.models.push import PushNotification, PushSubscription, PushTopic
from crm.communications.models.sms import SmsProvider, TextMessage

__all__ = [
    "AgentMapping",
    "CallEvent",
    "EmailBody",
    "EmailDeliveryEvent",
    "EmailMessage",
    "EmailMessageQuerySet",
    "EmailOptOut",
    "EmailTemplate",
    "EmailTemplateQuerySet",
    "EmailTemplateVariant",
    "EmailWebhook",
    "GroupMessage",
    "Message",
    "MessageType",
    "ProviderCall",
    "PushNotification",
    "PushSubscription",
    "PushTopic",
    "SmsProvider",
    "TextMessage",
    "VoipProvider",
]
