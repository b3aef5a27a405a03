"""Registers the communications viewsets on the audience routers (imported by config/urls.py)."""

from crm.communications.api import views
from crm.communications.api.calls import AgentMappingViewSet, ProviderCallViewSet, VoipProviderViewSet
from crm.communications.api.messages import GroupMessageViewSet, MessageViewSet, PortalMessageViewSet
from crm.communications.api.preferences import PortalEmailViewSet
from crm.communications.api.push import (
    PortalPushSubscriptionViewSet,
    PushNotificationViewSet,
    StaffPushSubscriptionViewSet,
)
from crm.communications.api.sms import TextMessageViewSet
from crm.communications.api.timeline import CustomerTimelineViewSet, LeadTimelineViewSet
from crm.core.api.routers import backoffice, portal

backoffice.register("email-templates", views.EmailTemplateViewSet, basename="emailtemplate")
backoffice.register("email-messages", views.EmailMessageViewSet, basename="emailmessage")
backoffice.register("email-provider", views.EmailProviderViewSet, basename="emailprovider")
backoffice.register("messages", MessageViewSet, basename="message")
backoffice.register("group-messages", GroupMessageViewSet, basename="group-message")
backoffice.register("push-subscriptions", StaffPushSubscriptionViewSet, basename="push-subscription")
backoffice.register("push-notifications", PushNotificationViewSet, basename="push-notification")
backoffice.register("text-messages", TextMessageViewSet, basename="text-message")
backoffice.register("voip-providers", VoipProviderViewSet, basename="voip-provider")
backoffice.register("voip-agents", AgentMappingViewSet, basename="voip-agent")
backoffice.register("voip-calls", ProviderCallViewSet, basename="voip-call")
backoffice.register("customer-communications", CustomerTimelineViewSet, basename="customer-communications")
backoffice.register("lead-communications", LeadTimelineViewSet, basename="lead-communications")

portal.register("messages", PortalMessageViewSet, basename="message")
portal.register("push-subscriptions", PortalPushSubscriptionViewSet, basename="push-subscription")
portal.register("email", PortalEmailViewSet, basename="email")

urlpatterns: list[object] = []
