"""Web push (000 Push Notifications): browser subscriptions by topic, and every notification sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class PushTopic(models.TextChoices):
    """Seed 000's topics: `admin` for staff alerts, `user` for clients."""

    ADMIN = "admin", _("Admin")
    USER = "user", _("User")


class PushSubscription(TimeStampedModel):
    """One browser's push subscription (its push service endpoint and keys) for a user and a topic."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    topic = models.CharField(_("topic"), max_length=10, choices=PushTopic.choices)
    endpoint = models.URLField(_("endpoint"), max_length=1000)
    p256dh = models.CharField(_("public key"), max_length=200)
    auth = models.CharField(_("auth secret"), max_length=100)
    expiration_time = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        constraints = [models.UniqueConstraint(fields=["endpoint", "topic"], name="one_push_endpoint_per_topic")]
        indexes = [models.Index(fields=["user", "topic"], name="push_sub_user_topic_idx")]

    def __str__(self) -> str:
        return f"{self.topic} {self.endpoint[:60]}"

    def info(self) -> dict[str, object]:
        """The subscription as the browser's PushSubscription.toJSON() gives it (what pywebpush takes)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushNotificationQuerySet(models.QuerySet["PushNotification"]):
    def visible_to(self, user: PermissionHolder | None) -> PushNotificationQuerySet:
        """Notifications to the clients this staff user may see."""
        from crm.customers.models import visible_client_rows

        return visible_client_rows(self, user)

    def for_list(self) -> PushNotificationQuerySet:
        return self.select_related("sender")


class PushNotification(TimeStampedModel):
    """A push sent to one user's subscriptions of a topic, with its outcome per delivery."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        PARTLY_SENT = "partly_sent", _("Partly sent")
        FAILED = "failed", _("Failed")
        NO_SUBSCRIPTION = "no_subscription", _("No subscription")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="push_notifications",
    )
    message = models.ForeignKey(
        "communications.Message",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=10, choices=PushTopic.choices)
    payload = models.JSONField(_("notification"), default=dict)
    ttl = models.PositiveIntegerField(_("time to live (seconds)"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    removed = models.PositiveIntegerField(_("expired subscriptions removed"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Stored work (crm.core.work): the sweep sends a queued notification again when its task was lost.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = PushNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("push notification")
        verbose_name_plural = _("push notifications")
        indexes = [models.Index(fields=["customer", "-created_at"], name="push_customer_idx")]

    def __str__(self) -> str:
        return str(self.payload.get("title") or self.topic) if isinstance(self.payload, dict) else self.topic
