"""Price alerts of a trading account and the trader notifications the platform raises (001 "Notification
subscriptions" and "Trader notifications")."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.trading.models.config import PRICE, Instrument
from crm.trading.models.trades import _visible
from crm.wallets.models import Wallet


class PriceAlertQuerySet(models.QuerySet["PriceAlert"]):
    def visible_to(self, user: Any) -> PriceAlertQuerySet:
        """Alerts of the trading accounts of the clients this staff user may see (the wallets' rule)."""
        return _visible(self, user)  # type: ignore[return-value]


class TraderNotificationQuerySet(models.QuerySet["TraderNotification"]):
    def visible_to(self, user: Any) -> TraderNotificationQuerySet:
        """Notifications of the trading accounts of the clients this staff user may see (the wallets' rule)."""
        return _visible(self, user)  # type: ignore[return-value]


class PriceAlert(models.Model):
    """Tell the trader once when the instrument's bid reaches `price` from below (gte) or above (lte)."""

    class Condition(models.TextChoices):
        GTE = "Gte", _("At or above")
        LTE = "Lte", _("At or below")

    account = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="price_alerts")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="price_alerts")
    price = models.DecimalField(**PRICE)
    condition = models.CharField(max_length=3, choices=Condition.choices)
    is_active = models.BooleanField(default=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PriceAlertQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["instrument", "is_active"], name="price_alert_active_idx")]

    def __str__(self) -> str:
        return f"Price alert #{self.pk}"


class TraderNotification(models.Model):
    """A message to the trader of one account: a price alert fired, a margin call, a stop-out."""

    class Type(models.TextChoices):
        MARKET_PRICE = "MarketPrice", _("Market price")
        MARGIN_CALL = "MarginCall", _("Margin call")
        STOP_OUT = "StopOut", _("Stop-out")

    account = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="trader_notifications")
    type = models.CharField(max_length=12, choices=Type.choices)
    data = models.JSONField(default=dict)
    is_read = models.BooleanField(default=False)
    key = models.CharField(max_length=80, unique=True, help_text=_("What raised it; the same cause raises one."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TraderNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["account", "is_read"], name="trader_notification_unread_idx")]

    def __str__(self) -> str:
        return f"Trader notification #{self.pk}"
