"""VoIP calls (000 Calls, Settings #233-234): the providers (Voiso, Coperato, the built-in simulated one),
staff agents' ids at each provider, click-to-call calls, and the providers' webhooks as received.

A provider call that ends with a client is logged as the client's `customers.Call` (the call staff log by
hand too), which `call` points at; one with a lead as the lead's call communication."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class VoipProvider(TimeStampedModel):
    """A VoIP provider's settings: its URL, API key and webhook token (both encrypted); one is active."""

    class Code(models.TextChoices):
        VOISO = "voiso", _("Voiso")
        COPERATO = "coperato", _("Coperato")
        SIMULATED = "simulated", _("Simulated (built in)")

    code = models.CharField(_("provider"), max_length=20, choices=Code.choices, unique=True)
    url = models.URLField(_("request URL"), max_length=500, blank=True)
    api_key_encrypted = models.TextField(_("API key (encrypted)"), blank=True, editable=False)
    webhook_token_encrypted = models.TextField(_("webhook token (encrypted)"), blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("VoIP provider")
        verbose_name_plural = _("VoIP providers")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_voip")
        ]

    def __str__(self) -> str:
        return str(self.get_code_display())


class AgentMapping(TimeStampedModel):
    """A staff member's agent id (extension) at a VoIP provider."""

    provider = models.ForeignKey(
        VoipProvider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="agents"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="voip_agents"
    )
    external_id = models.CharField(_("agent id at the provider"), max_length=100)

    class Meta:
        ordering = ["provider", "external_id"]
        verbose_name = _("VoIP agent")
        verbose_name_plural = _("VoIP agents")
        constraints = [
            models.UniqueConstraint(fields=["provider", "agent"], name="one_voip_id_per_agent"),
            models.UniqueConstraint(fields=["provider", "external_id"], name="one_agent_per_voip_id"),
        ]

    def __str__(self) -> str:
        return self.external_id


class ProviderCallQuerySet(models.QuerySet["ProviderCall"]):
    def visible_to(self, user: PermissionHolder | None) -> ProviderCallQuerySet:
        """Calls with the clients and leads this staff user may see."""
        from crm.customers.models import Customer
        from crm.sales.models import Lead

        return self.filter(
            Q(customer__in=Customer.objects.visible_to(user)) | Q(lead__in=Lead.objects.visible_to(user))
        )

    def for_list(self) -> ProviderCallQuerySet:
        return self.select_related("provider")


class ProviderCall(TimeStampedModel):
    """A click-to-call call placed through a provider, with what its webhooks reported."""

    class Status(models.TextChoices):
        INITIATED = "initiated", _("Initiated")
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        COMPLETED = "completed", _("Completed")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        FAILED = "failed", _("Failed")

    FINAL = (Status.COMPLETED, Status.NO_ANSWER, Status.BUSY, Status.FAILED)

    provider = models.ForeignKey(VoipProvider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provider_calls",
    )
    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=32)
    external_id = models.CharField(_("call id at the provider"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INITIATED)
    was_answered = models.BooleanField(_("answered"), default=False)
    duration = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The client's logged call, once the provider reported the end.
    call = models.OneToOneField(
        "customers.Call",
        verbose_name=_("logged call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provider_call",
    )

    objects = ProviderCallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("VoIP call")
        verbose_name_plural = _("VoIP calls")
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="one_call_per_provider_id"),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(lead__isnull=False), name="voip_call_has_a_party"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.external_id}"


class CallEvent(models.Model):
    """A VoIP provider's webhook delivery as received; an authentic one is processed once by a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        REJECTED = "rejected", _("Rejected (not authenticated)")
        FAILED = "failed", _("Failed")

    provider = models.ForeignKey(VoipProvider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(_("event id"), max_length=200)
    body = models.TextField(_("body"))
    remote_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    is_authentic = models.BooleanField(_("authenticated"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("VoIP webhook")
        verbose_name_plural = _("VoIP webhooks")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], condition=Q(is_authentic=True), name="one_authentic_call_event"
            )
        ]

    def __str__(self) -> str:
        return self.event_id
