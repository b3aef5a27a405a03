"""SMS admin: the providers (the auth token is write-only, saved encrypted through the service) and the texts
sent (read-only, scoped to the clients the staff member sees)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminPasswordWidget

from crm.communications.models import SmsProvider, TextMessage
from crm.communications.services import sms as services
from crm.core.admin import ReadOnlyAdminMixin, ServiceFormAdminMixin
from crm.customers.forms import ServiceSavedForm


class SmsProviderForm(ServiceSavedForm):
    """Provider settings; the auth token is never shown again, and an empty one keeps the stored token."""

    auth_token = forms.CharField(
        label=_("Auth token"),
        required=False,
        widget=UnfoldAdminPasswordWidget(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the current one."),
    )

    class Meta:
        model = SmsProvider
        fields = ["name", "kind", "is_active", "account_sid", "from_number", "messaging_service_sid"]

    def run_service(self) -> SmsProvider:
        provider = self.instance
        for name in self.Meta.fields:
            setattr(provider, name, self.cleaned_data[name])
        return services.save_provider(
            provider, auth_token=self.cleaned_data.get("auth_token") or None, actor=self.actor
        )


@admin.register(SmsProvider)
class SmsProviderAdmin(ServiceFormAdminMixin, ModelAdmin[SmsProvider]):
    form = SmsProviderForm
    list_display = ("name", "kind", "is_active", "account_sid", "from_number", "has_token")
    list_filter = ("kind", "is_active")

    @admin.display(boolean=True, description=_("Auth token set"))
    def has_token(self, provider: SmsProvider) -> bool:
        return provider.has_auth_token


@admin.register(TextMessage)
class TextMessageAdmin(ReadOnlyAdminMixin, ModelAdmin[TextMessage]):
    list_display = ("phone", "customer", "status", "provider", "sender", "created_at")
    list_filter = ("status", "provider")
    list_select_related = ("customer", "sender")
    search_fields = ("=customer__email", "^phone")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TextMessage]:
        return TextMessage.objects.visible_to(request.user).select_related("customer", "sender")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["customer", "sender", "phone", "text", "provider", "status", "provider_reference", "error"]
