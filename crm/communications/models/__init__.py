"""Communications models, one module per kind (email, messages, push, sms, calls, timeline)."""

from crm.communications.models.messages import GroupMessage, Message, MessageType
from crm.communications.models.push import PushNotification, PushSubscription, PushTopic
from crm.communications.models.sms import SmsProvider, TextMessage

__all__ = [
    "GroupMessage",
    "Message",
    "MessageType",
    "PushNotification",
    "PushSubscription",
    "PushTopic",
    "SmsProvider",
    "TextMessage",
]
