"""VoIP admin: providers (secrets write-only, saved through the service), agents' ids, calls and webhooks
(read-only; calls scoped to the clients and leads the staff member sees)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminPasswordWidget

from crm.communications.models import AgentMapping, CallEvent, ProviderCall, VoipProvider
from crm.communications.services import calls as services
from crm.core.admin import ReadOnlyAdminMixin, ServiceFormAdminMixin
from crm.customers.forms import ServiceSavedForm


class VoipProviderForm(ServiceSavedForm):
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=UnfoldAdminPasswordWidget(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the current one."),
    )
    webhook_token = forms.CharField(
        label=_("Webhook token"),
        required=False,
        widget=UnfoldAdminPasswordWidget(render_value=False),
        help_text=_("The provider sends it as Authorization: Bearer <token> (or ?token=); leave empty to keep it."),
    )

    class Meta:
        model = VoipProvider
        fields = ["url", "is_active"]

    def run_service(self) -> VoipProvider:
        data = self.cleaned_data
        return services.configure_provider(
            self.instance.code,
            url=data["url"],
            api_key=data.get("api_key") or None,
            webhook_token=data.get("webhook_token") or None,
            is_active=data["is_active"],
            actor=self.actor,
        )


@admin.register(VoipProvider)
class VoipProviderAdmin(ServiceFormAdminMixin, ModelAdmin[VoipProvider]):
    form = VoipProviderForm
    list_display = ("code", "url", "is_active", "available")
    readonly_fields = ("code",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VoipProvider]:
        for code in VoipProvider.Code.values:
            services.provider(code)
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(boolean=True, description=_("Available"))
    def available(self, voip: VoipProvider) -> bool:
        return services.is_available(voip)


@admin.register(AgentMapping)
class AgentMappingAdmin(ModelAdmin[AgentMapping]):
    list_display = ("agent", "provider", "external_id")
    list_filter = ("provider",)
    list_select_related = ("agent", "provider")
    autocomplete_fields = ("agent",)
    search_fields = ("=external_id", "^agent__email")


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdminMixin, ModelAdmin[ProviderCall]):
    list_display = ("created_at", "provider", "agent", "customer", "lead", "status", "duration")
    list_filter = ("status", "provider")
    list_select_related = ("provider", "agent", "customer", "lead")
    search_fields = ("=external_id", "^phone")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProviderCall]:
        return ProviderCall.objects.visible_to(request.user).select_related("provider", "agent", "customer", "lead")


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdminMixin, ModelAdmin[CallEvent]):
    list_display = ("received_at", "provider", "event_id", "is_authentic", "status")
    list_filter = ("status", "provider", "is_authentic")
    list_select_related = ("provider",)
    search_fields = ("=event_id",)
    show_full_result_count = False
