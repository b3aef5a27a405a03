"""Messages admin: the inbox rows (read-only, scoped to the clients the staff member sees) and the group
messages, sent from the add form through `send_group_message`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminTextInputWidget

from crm.communications.models import GroupMessage, Message
from crm.communications.services import messages as services
from crm.core.admin import ReadOnlyAdminMixin, ServiceFormAdminMixin
from crm.core.exceptions import DomainError
from crm.customers.forms import ServiceSavedForm


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, ModelAdmin[Message]):
    list_display = ("subject", "customer", "sender", "via_push", "read_at", "created_at")
    list_filter = ("via_push",)
    list_select_related = ("customer", "sender")
    search_fields = ("=customer__email", "^subject")
    show_full_result_count = False
    fields = ("customer", "sender", "group_message", "subject", "text", "via_push", "read_at", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return Message.objects.visible_to(request.user).select_related("customer", "sender")


class GroupMessageForm(ServiceSavedForm):
    """Send a group message through the service (the sender's visible clients only)."""

    customer_ids = forms.CharField(
        label=_("Client ids"),
        required=False,
        help_text=_("For chosen clients: their ids, separated by commas or spaces."),
        widget=UnfoldAdminTextInputWidget,
    )

    class Meta:
        model = GroupMessage
        fields = ["audience", "client_group", "type", "subject", "text"]

    def clean_customer_ids(self) -> list[int]:
        raw = (self.cleaned_data.get("customer_ids") or "").replace(",", " ").split()
        if not all(part.isdigit() for part in raw):
            raise forms.ValidationError(_("Give whole numbers."))
        return [int(part) for part in raw]

    def run_service(self) -> GroupMessage:
        data = self.cleaned_data
        if self.actor is None:
            raise DomainError(str(_("Log in first.")), code="not_authenticated")
        return services.send_group_message(
            audience=data["audience"],
            subject=data["subject"],
            text=data["text"],
            type=data["type"],
            customer_ids=data.get("customer_ids") or [],
            client_group=data.get("client_group"),
            actor=self.actor,
        )


@admin.register(GroupMessage)
class GroupMessageAdmin(ServiceFormAdminMixin, ModelAdmin[GroupMessage]):
    form = GroupMessageForm
    list_display = ("subject", "audience", "client_group", "type", "recipient_count", "sender", "created_at")
    list_filter = ("audience", "type")
    list_select_related = ("client_group", "sender")
    search_fields = ("^subject",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["audience", "customer_ids", "client_group", "type", "subject", "text"]
        return ["audience", "client_group", "type", "subject", "text", "recipient_count", "sender", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
