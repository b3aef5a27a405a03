"""Calls staff log with a client (an agent's phone call and its outcome), shown on the client's timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class CallQuerySet(models.QuerySet):
    def visible_to(self, user) -> CallQuerySet:
        """Calls with the clients this staff user may see."""
        from crm.customers.models import visible_client_rows

        return visible_client_rows(self, user)


class Call(TimeStampedModel):
    """A phone call staff had (or tried) with a client, with its outcome; logging one stamps the last contact."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        CALLBACK = "callback", _("Asked to call back")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="calls")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else "call"
