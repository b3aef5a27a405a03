"""Admin of email: templates (with a preview and "Send test email"), the outbound log, delivery webhooks,
marketing opt-outs, and the email provider's settings page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from crm.communications import providers
from crm.communications.models import EmailMessage, EmailOptOut, EmailTemplate, EmailTemplateVariant, EmailWebhook
from crm.communications.services import email as email_services
from crm.communications.services import email_providers
from crm.communications.triggers import get_trigger, triggers
from crm.core.admin import ObjectActionAdminMixin, ReadOnlyAdminMixin
from crm.core.exceptions import DomainError
from crm.users.requests import staff_user


def _domain_errors(form: forms.BaseForm, exc: DomainError) -> None:
    for name, problems in exc.fields.items():
        target = name.rsplit(".", 1)[-1]
        for problem in problems:
            form.add_error(target if target in form.fields else None, problem)
    if not exc.fields:
        form.add_error(None, exc.message)


class EmailTemplateForm(forms.ModelForm[EmailTemplate]):
    """Checked like the API: a trigger of the catalogue, its variables only, MJML that compiles."""

    trigger = forms.ChoiceField(choices=(), widget=UnfoldAdminSelectWidget)

    class Meta:
        model = EmailTemplate
        fields = ["title", "trigger", "recipient", "category", "is_enabled", "conditions", "subject", "mjml", "txt"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, f"{name}: {item.description}") for name, item in triggers().items()]
        cast(forms.ChoiceField, self.fields["trigger"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            email_services.validate_template(data, [])
        except DomainError as exc:
            _domain_errors(self, exc)
        return data


class EmailTemplateVariantForm(forms.ModelForm[EmailTemplateVariant]):
    class Meta:
        model = EmailTemplateVariant
        fields = ["language", "subject", "mjml", "txt"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        trigger = get_trigger(str(self.data.get("trigger", "")))
        if trigger is None or self.errors:
            return data
        if data.get("language") == settings.LANGUAGE_CODE:
            self.add_error("language", _("The template itself is the default language's version."))
        for problem in email_services.variant_problems(trigger, data):
            self.add_error(problem[0], problem[1])
        return data


class EmailTemplateVariantInline(TabularInline[EmailTemplateVariant, EmailTemplate]):
    model = EmailTemplateVariant
    form = EmailTemplateVariantForm
    extra = 0
    tab = True


class EmailProviderForm(forms.Form):
    """The provider and its settings (000 Settings #235-238); secrets left empty keep their stored value."""

    provider = forms.ChoiceField(
        label=_("Provider"), choices=providers.Provider.choices, widget=UnfoldAdminSelectWidget
    )
    sender = forms.CharField(label=_("Sender"), required=False, widget=UnfoldAdminTextInputWidget)
    staff_email = forms.EmailField(label=_("Staff email"), required=False, widget=UnfoldAdminEmailInputWidget)
    api_key = forms.CharField(label=_("API key"), required=False, widget=UnfoldAdminPasswordWidget)
    domain = forms.CharField(label=_("Domain"), required=False, widget=UnfoldAdminTextInputWidget)
    username = forms.CharField(label=_("Username"), required=False, widget=UnfoldAdminTextInputWidget)
    host = forms.CharField(label=_("SMTP host"), required=False, widget=UnfoldAdminTextInputWidget)
    port = forms.IntegerField(label=_("SMTP port"), required=False, min_value=1, max_value=65535)
    password = forms.CharField(label=_("SMTP password"), required=False, widget=UnfoldAdminPasswordWidget)
    secure = forms.BooleanField(label=_("TLS"), required=False)
    webhook_secret = forms.CharField(
        label=_("Webhook secret (user:password)"), required=False, widget=UnfoldAdminPasswordWidget
    )
    webhook_signing_key = forms.CharField(
        label=_("Mailgun webhook signing key"), required=False, widget=UnfoldAdminPasswordWidget
    )
    api_url = forms.URLField(
        label=_("API URL (optional)"), required=False, assume_scheme="https", widget=UnfoldAdminTextInputWidget
    )


class SendTestEmailForm(BaseDialogForm):
    to_email = forms.EmailField(label=_("Send to"), widget=UnfoldAdminEmailInputWidget)
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, required=False, widget=UnfoldAdminSelectWidget
    )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ObjectActionAdminMixin, ModelAdmin[EmailTemplate]):
    form = EmailTemplateForm
    inlines = [EmailTemplateVariantInline]
    list_display = ["title", "trigger", "recipient", "category", "is_enabled", "updated_at"]
    list_filter = ["is_enabled", "recipient", "category"]
    search_fields = ["title", "^trigger"]
    readonly_fields = ["variables", "preview"]
    actions_detail = ["send_test"]
    fieldsets = [
        (None, {"fields": ["title", "trigger", "recipient", "category", "is_enabled", "conditions"]}),
        (_("Content"), {"fields": ["subject", "mjml", "txt", "variables"]}),
        (_("Preview"), {"fields": ["preview"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EmailTemplate]:
        return super().get_queryset(request).prefetch_related("variants")

    @admin.display(description=_("Variables"))
    def variables(self, obj: EmailTemplate) -> str:
        trigger = get_trigger(obj.trigger) if obj.pk else None
        return ", ".join("{{ " + name + " }}" for name in trigger.variables) if trigger else "-"

    @admin.display(description=_("Preview"))
    def preview(self, obj: EmailTemplate) -> str:
        if not obj.pk:
            return "-"
        try:
            shown = email_services.preview_email_template(obj)
        except DomainError as exc:
            return exc.message
        return format_html(
            '<p><strong>{}</strong></p><iframe sandbox="" srcdoc="{}" style="width:100%;height:480px;'
            'border:1px solid #ddd;background:#fff"></iframe><pre style="white-space:pre-wrap">{}</pre>',
            shown["subject"],
            shown["html"],
            shown["text"],
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        email_services.record_template_saved(form.instance, actor=staff_user(request), created=not change)

    @action(
        description=_("Send test email"),
        url_path="send-test",
        icon="outgoing_mail",
        permissions=["send_test"],
        dialog={"title": _("Send a test email"), "form_class": SendTestEmailForm, "form_submit_text": _("Send")},
    )
    def send_test(self, request: HttpRequest, form: SendTestEmailForm, object_id: str) -> HttpResponse:
        data = form.cleaned_data
        return self.run_object_action(
            request,
            object_id,
            lambda template: email_services.send_test_email(
                template, to_email=data["to_email"], language=data.get("language") or None, actor=staff_user(request)
            ),
            _("Test email queued."),
        )

    def has_send_test_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return request.user.has_perm("communications.send_test_emailtemplate")

    def get_urls(self) -> list[URLPattern]:
        page = path("provider/", self.admin_site.admin_view(self.provider_view), name="communications_email_provider")
        return [page, *super().get_urls()]

    def provider_view(self, request: HttpRequest) -> HttpResponse:
        """Choose the provider that sends email and store its settings (Admins: `core.change_setting`)."""
        if not request.user.has_perm("core.change_setting"):
            raise PermissionDenied
        stored = providers.public_settings()
        form = EmailProviderForm(request.POST or None, initial=_provider_initial(stored))
        if request.method == "POST" and form.is_valid():
            values = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
            values["secure"] = form.cleaned_data["secure"]
            provider = values.pop("provider")
            try:
                email_providers.configure_email_provider(provider, actor=staff_user(request), **values)
            except DomainError as exc:
                _domain_errors(form, exc)
            else:
                self.message_user(request, _("Email provider saved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:communications_email_provider"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Email provider"),
            "form": form,
            "current": providers.Provider(stored["provider"]).label,
        }
        return TemplateResponse(request, "admin/communications/email_provider.html", context)


def _provider_initial(stored: dict[str, Any]) -> dict[str, Any]:
    initial = {"provider": stored["provider"], "sender": stored["sender"], "staff_email": stored["staff_email"]}
    section = stored.get(stored["provider"], {})
    initial.update({name: value for name, value in section.items() if not name.endswith("_set") and value})
    return initial


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyAdminMixin, ModelAdmin[EmailMessage]):
    list_display = ["to_email", "subject", "trigger", "status", "provider", "language", "created_at"]
    list_filter = ["status", "category", "is_test", "provider"]
    list_select_related = ["customer", "template"]
    # A provider's message id is matched exactly (case-sensitive), so its index serves the search.
    search_fields = ["=to_email", "^trigger", "provider_message_id__exact"]
    show_full_result_count = False
    fields = [
        "to_email",
        "customer",
        "template",
        "trigger",
        "event",
        "language",
        "category",
        "is_test",
        "status",
        "status_at",
        "provider",
        "provider_message_id",
        "sent_at",
        "attempts",
        "last_error",
        "subject",
        "text",
        "body_cleared",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EmailMessage]:
        return EmailMessage.objects.visible_to(request.user).for_list()


@admin.register(EmailWebhook)
class EmailWebhookAdmin(ReadOnlyAdminMixin, ModelAdmin[EmailWebhook]):
    list_display = ["provider", "signature_valid", "processed_at", "error", "created_at"]
    list_filter = ["provider", "signature_valid"]
    fields = ["provider", "signature_valid", "error", "events", "processed_at", "attempts", "headers", "body"]


@admin.register(EmailOptOut)
class EmailOptOutAdmin(ModelAdmin[EmailOptOut]):
    list_display = ["customer", "created_at"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    search_fields = ["=customer__email"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
