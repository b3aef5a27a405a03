"""Communications admin, one module per kind; the client and lead pages get the communications box."""

from typing import cast

from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.communications.admin import email
from crm.communications.admin.calls import AgentMappingAdmin, CallEventAdmin, ProviderCallAdmin, VoipProviderAdmin
from crm.communications.admin.messages import GroupMessageAdmin, MessageAdmin
from crm.communications.admin.push import PushNotificationAdmin
from crm.communications.admin.sms import SmsProviderAdmin, TextMessageAdmin
from crm.customers.models import Customer
from crm.sales.models import Lead

# This layer, above clients and leads, shows their communication timeline under their pages.
for model in (Customer, Lead):
    model_admin = cast("ModelAdmin[Customer | Lead]", admin.site.get_model_admin(model))
    model_admin.change_form_outer_after_template = "admin/communications/subject_timeline.html"  # type: ignore[attr-defined]  # unfold's attribute, not in the stubs

__all__ = [
    "AgentMappingAdmin",
    "CallEventAdmin",
    "GroupMessageAdmin",
    "MessageAdmin",
    "ProviderCallAdmin",
    "PushNotificationAdmin",
    "SmsProviderAdmin",
    "TextMessageAdmin",
    "VoipProviderAdmin",
    "email",
]
