"""Engine state kept per account between ticks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.wallets.models import Wallet


class MarginCall(models.Model):
    """An account under its margin call level: `margin.call` was sent once and is not sent again until it recovers.

    The row is created when the level first falls under the group's margin call level and deleted when it is back
    at or over it (or the account has no margin in use).
    """

    account = models.OneToOneField(Wallet, on_delete=models.CASCADE, primary_key=True, related_name="+")
    margin_level = models.DecimalField(max_digits=20, decimal_places=4, help_text=_("The level when it began."))
    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Margin call #{self.pk}"
