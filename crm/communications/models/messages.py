"""In-app messages to clients (000 Messages, Group Messages): one client's inbox row, and the broadcasts
(to chosen clients, to all, to a client group) that fan out into inbox rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class MessageType(models.TextChoices):
    """Seed 000's send `type`: an inbox message, or an inbox message also sent as a web push."""

    MESSAGE = "message", _("Message")
    PUSH = "push", _("Push")


class GroupMessageQuerySet(models.QuerySet["GroupMessage"]):
    def for_list(self) -> GroupMessageQuerySet:
        return self.select_related("sender", "client_group")


class GroupMessage(TimeStampedModel):
    """One message sent to many clients at once: to chosen clients, to every client, or to a client group."""

    class Audience(models.TextChoices):
        CUSTOMERS = "customers", _("Chosen clients")
        ALL = "all", _("All clients")
        GROUP = "group", _("Client group")

    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    client_group = models.ForeignKey(
        "customers.ClientGroup",
        verbose_name=_("client group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    type = models.CharField(_("type"), max_length=10, choices=MessageType.choices, default=MessageType.MESSAGE)
    subject = models.CharField(_("subject"), max_length=255)
    text = models.TextField(_("text"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    objects = GroupMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("group message")
        verbose_name_plural = _("group messages")

    def __str__(self) -> str:
        return self.subject


class MessageQuerySet(models.QuerySet["Message"]):
    def visible_to(self, user: PermissionHolder | None) -> MessageQuerySet:
        """Messages to the clients this staff user may see."""
        from crm.customers.models import visible_client_rows

        return visible_client_rows(self, user)

    def for_list(self) -> MessageQuerySet:
        return self.select_related("sender", "customer")

    def unread(self) -> MessageQuerySet:
        return self.filter(read_at__isnull=True)


class Message(TimeStampedModel):
    """A message in one client's portal inbox; `via_push` when it also went out as a web push."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    group_message = models.ForeignKey(
        GroupMessage,
        verbose_name=_("group message"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    subject = models.CharField(_("subject"), max_length=255)
    text = models.TextField(_("text"))
    via_push = models.BooleanField(_("sent as push"), default=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="message_customer_idx"),
            models.Index(fields=["customer"], condition=models.Q(read_at__isnull=True), name="message_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject
