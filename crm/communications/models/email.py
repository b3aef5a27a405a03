"""Email: templates on events, the outbound log (one row per email and recipient), provider webhooks, opt-outs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import OutboxEvent, TimeStampedModel


class EmailTemplateQuerySet(models.QuerySet["EmailTemplate"]):
    def for_list(self) -> EmailTemplateQuerySet:
        return self.prefetch_related("variants")

    def enabled_for(self, trigger: str) -> EmailTemplateQuerySet:
        return self.filter(trigger=trigger, is_enabled=True).prefetch_related("variants")


class EmailTemplate(TimeStampedModel):
    """An email sent when an event happens (and its conditions hold), in the recipient's language when it has one."""

    class Recipient(models.TextChoices):
        CUSTOMER = "customer", _("The client")
        STAFF = "staff", _("Staff (the provider's staff email)")
        ADDRESSEE = "addressee", _("The person the event names (a lead, a report's reader)")

    class Category(models.TextChoices):
        TRANSACTIONAL = "transactional", _("Transactional (always sent)")
        MARKETING = "marketing", _("Marketing (not sent to clients who opted out)")

    title = models.CharField(max_length=200)
    trigger = models.CharField(max_length=100, db_index=True, help_text=_("The event that sends this email."))
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'Event fields and the values they must have, e.g. {"is_first": true, "currency": ["USD", "EUR"]}.'
        ),
    )
    recipient = models.CharField(max_length=10, choices=Recipient.choices, default=Recipient.CUSTOMER)
    category = models.CharField(max_length=15, choices=Category.choices, default=Category.TRANSACTIONAL)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    subject = models.CharField(max_length=255)
    mjml = models.TextField(_("MJML body"), blank=True)
    txt = models.TextField(_("text version"), blank=True)

    objects = EmailTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["trigger", "title"]
        permissions = [("send_test_emailtemplate", "Can send a test email of a template")]

    def __str__(self) -> str:
        return self.title


class EmailTemplateVariant(TimeStampedModel):
    """A template's subject and bodies in one more language; clients in that language get this version."""

    template = models.ForeignKey(EmailTemplate, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=255)
    mjml = models.TextField(_("MJML body"), blank=True)
    txt = models.TextField(_("text version"), blank=True)

    class Meta:
        ordering = ["template", "language"]
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="email_variant_one_per_language")]

    def __str__(self) -> str:
        return self.language


class EmailBody(models.Model):
    """The HTML body of the emails of one message to many clients in one language, stored once: the template's MJML
    compiled to HTML with its tags kept, and the values every email shares (the event's fields, the product's
    name). Each email of the fan-out keeps its recipient's own values; filled with them, this is what it sends."""

    template = models.ForeignKey(EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=10)
    html = models.TextField()
    values = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("email body")
        verbose_name_plural = _("email bodies")

    def __str__(self) -> str:
        return f"{self.template_id}/{self.language}"


class EmailMessageQuerySet(models.QuerySet["EmailMessage"]):
    def visible_to(self, user: Any) -> EmailMessageQuerySet:
        """Emails of the clients this staff user may see; emails to no client (staff, tests) with "view all"."""
        from crm.customers.models import Customer

        if user and user.is_authenticated and user.is_staff and user.has_perm("customers.view_all_customers"):
            return self
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def for_list(self) -> EmailMessageQuerySet:
        return self.select_related("template", "customer")


class EmailMessage(TimeStampedModel):
    """One email to one recipient, as rendered and as the provider reported it (the outbound log)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        DEFERRED = "deferred", _("Deferred by the provider")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")
        REJECTED = "rejected", _("Rejected by the provider")
        FAILED = "failed", _("Failed")
        OPTED_OUT = "opted_out", _("Not sent: the client opted out")

    # Indexes are few on purpose (a message to all clients writes a row per client): the event and the client are
    # the first columns of the constraint and of the timeline index below, and the text columns have no
    # pattern-matching twin.
    event = models.ForeignKey(
        OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_messages",
        db_index=False,
    )
    trigger = models.CharField(max_length=100)
    to_email = models.EmailField(_("to"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    language = models.CharField(max_length=10)
    category = models.CharField(max_length=15, choices=EmailTemplate.Category.choices)
    is_test = models.BooleanField(default=False)
    subject = models.CharField(max_length=255)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    # An email of a message to many clients keeps no HTML of its own: its fan-out's shared body, filled with the
    # recipient's values (crm.communications.services.email.email_html).
    shared_body = models.ForeignKey(
        EmailBody, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    body_values = models.JSONField(default=dict, blank=True)
    # Emails carrying a single-use link keep no body once sent.
    body_cleared = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    status_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Stored work (crm.core.work, kind communications.email).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = EmailMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "template", "to_email"],
                condition=Q(event__isnull=False),
                name="email_once_per_event_template_recipient",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="email_customer_timeline_idx"),
            models.Index(fields=["trigger"], name="email_trigger_idx"),
            models.Index(fields=["status"], name="email_status_idx"),
            models.Index(fields=["provider_message_id"], name="email_provider_message_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"


class EmailDeliveryEvent(models.Model):
    """What a provider reported about one email (delivered, bounced, complained ...), from its webhook."""

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="delivery_events")
    webhook = models.ForeignKey(
        "EmailWebhook", null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery_events"
    )
    event_type = models.CharField(max_length=30)
    event_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.event_type


class EmailWebhook(TimeStampedModel):
    """One delivery webhook call of an email provider, stored raw before anything is done with it."""

    provider = models.CharField(max_length=20)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    signature_valid = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    # The provider's events as anymail normalised them: [{"event_type", "message_id", "event_id", ...}].
    events = models.JSONField(default=list)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "digest"], name="email_webhook_once")]

    def __str__(self) -> str:
        return f"{self.provider} #{self.pk}"


class EmailOptOut(models.Model):
    """A client who wants no marketing email (transactional email is still sent)."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="email_opt_out")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("marketing email opt-out")

    def __str__(self) -> str:
        return str(self.customer_id)
