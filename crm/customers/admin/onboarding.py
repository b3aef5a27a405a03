"""Portal configuration in the admin: onboarding steps per stage, form fields, KYC webhooks; impersonation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action

from crm.core.admin import ReadOnlyAdminMixin, back_to
from crm.core.exceptions import DomainError
from crm.customers import services
from crm.customers.admin.helpers import ModelAdminBase
from crm.customers.forms import ConfirmDialogForm
from crm.customers.models import CustomerFieldConfiguration, KycWebhook, OnboardingStepConfiguration
from crm.users.requests import staff_user


@admin.register(OnboardingStepConfiguration)
class OnboardingStepConfigurationAdmin(ModelAdmin):
    """The stage at which each onboarding step is required; saved through `services.configure_step`."""

    list_display = ("step", "stage", "updated_at")
    list_editable = ("stage",)
    fields = ("step", "stage")
    readonly_fields = ("step",)
    ordering = ("step",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OnboardingStepConfiguration, form, change: bool) -> None:
        services.configure_step(obj.step, stage=obj.stage or None, actor=staff_user(request))


@admin.register(CustomerFieldConfiguration)
class CustomerFieldConfigurationAdmin(ModelAdmin):
    """Which form step asks for each profile field, whether it is required there and stays editable."""

    list_display = ("field", "step", "required", "editable")
    list_editable = ("step", "required", "editable")
    fields = ("field", "step", "required", "editable")
    readonly_fields = ("field",)
    ordering = ("field",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CustomerFieldConfiguration, form, change: bool) -> None:
        row = {"field": obj.field, "step": obj.step or None, "required": obj.required, "editable": obj.editable}
        try:
            services.update_field_configurations([row], actor=staff_user(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(KycWebhook)
class KycWebhookAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """KYC provider callbacks as received; read-only, with a way to process one again."""

    list_display = ("id", "provider", "event_type", "external_user_id", "received_at", "processed_at", "error")
    list_filter = ("provider", "event_type")
    search_fields = ("=external_user_id",)
    show_full_result_count = False
    readonly_fields = [field.name for field in KycWebhook._meta.fields]
    actions = ["process_selected"]

    def has_process_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customers.manage_kyc")

    @admin.action(description=_("Process unprocessed webhooks again"), permissions=["process"])
    def process_selected(self, request: HttpRequest, queryset) -> None:
        pks = list(queryset.filter(processed_at__isnull=True).values_list("pk", flat=True))
        for pk in pks:
            services.process_kyc_webhook(pk)
        self.message_user(request, _("%(count)d webhook(s) processed.") % {"count": len(pks)}, messages.SUCCESS)


class ImpersonationMixin(ModelAdminBase):
    """'Log in as client' on the client page: a short-lived portal token, logged and shown to the client."""

    def has_impersonate_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("customers.impersonate_customer")

    @action(
        description=_("Log in as client"),
        url_path="impersonate",
        icon="login",
        permissions=["impersonate"],
        dialog={
            "title": _("Log in as client"),
            "description": _(
                "Issues a short-lived portal token for this client. The client sees it in their login records."
            ),
            "form_class": ConfirmDialogForm,
            "form_submit_text": _("Log in as client"),
        },
    )
    def impersonate(self, request: HttpRequest, form: ConfirmDialogForm, object_id: str) -> HttpResponse:
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404
        try:
            token, expires_at = services.impersonate_customer(customer, actor=staff_user(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return back_to(request, reverse("admin:customers_customer_change", args=[customer.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Log in as %(name)s") % {"name": customer.full_name or customer.email},
            "customer": customer,
            "token": token,
            "expires_at": expires_at,
            "portal_link": f"{settings.PORTAL_URL.rstrip('/')}/impersonate#token={token}",
            "back_url": reverse("admin:customers_customer_change", args=[customer.pk]),
        }
        response = TemplateResponse(request, "admin/customers/customer/impersonate.html", context)
        response["Cache-Control"] = "no-store"
        return response
