"""Text messages: the SMS provider staff configure in the admin (Twilio, or the log), and every text sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class SmsProvider(TimeStampedModel):
    """An SMS provider's settings; the active one sends every text (phone confirmation, staff texts)."""

    class Kind(models.TextChoices):
        LOG = "log", _("Log only (no text is sent)")
        TWILIO = "twilio", _("Twilio")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("provider"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=False, help_text=_("One provider is active at a time."))
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    # A Fernet token (crm.core.crypto): shown never again once saved.
    auth_token_encrypted = models.TextField(_("auth token (encrypted)"), blank=True, editable=False)
    from_number = models.CharField(
        _("sender number"), max_length=32, blank=True, help_text=_("E.164, e.g. +15005550006, or a sender id.")
    )
    messaging_service_sid = models.CharField(
        _("messaging service SID"), max_length=64, blank=True, help_text=_("Used instead of the sender number.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("SMS provider")
        verbose_name_plural = _("SMS providers")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_sms")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_auth_token(self) -> bool:
        return bool(self.auth_token_encrypted)


class TextMessageQuerySet(models.QuerySet["TextMessage"]):
    def visible_to(self, user: PermissionHolder | None) -> TextMessageQuerySet:
        """Texts to the clients this staff user may see."""
        from crm.customers.models import visible_client_rows

        return visible_client_rows(self, user)

    def for_list(self) -> TextMessageQuerySet:
        return self.select_related("sender")


class TextMessage(TimeStampedModel):
    """One text message sent (or refused by the provider); system texts keep their codes masked."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="text_messages",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=32)
    text = models.TextField(_("text"))
    provider = models.CharField(_("provider"), max_length=20, choices=SmsProvider.Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    provider_reference = models.CharField(_("provider reference"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = TextMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        indexes = [models.Index(fields=["customer", "-created_at"], name="sms_customer_idx")]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else self.phone
