"""Orders, positions and deals of the built-in platform (004 Order, Position, Deal; 000 Orders and Positions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.customers.models import Customer
from crm.trading.models.config import PRICE, VOLUME, Instrument
from crm.wallets.models import MONEY, Wallet


class Side(models.TextChoices):
    BUY = "buy", _("Buy")
    SELL = "sell", _("Sell")


def _visible(queryset: models.QuerySet[Any], user: Any) -> models.QuerySet[Any]:
    """Rows of the trading accounts of the clients this staff user may see (the wallets' rule)."""
    if not (user and user.is_authenticated and user.is_staff):
        return queryset.none()
    if user.has_perm("customers.view_all_customers"):
        return queryset
    return queryset.filter(account__customer__in=Customer.objects.visible_to(user))


class OrderQuerySet(models.QuerySet["Order"]):
    def visible_to(self, user: Any) -> OrderQuerySet:
        return _visible(self, user)  # type: ignore[return-value]

    def for_list(self) -> OrderQuerySet:
        return self.select_related("account", "account__customer", "instrument")

    def pending(self) -> OrderQuerySet:
        return self.filter(status=Order.Status.PENDING)


class Order(TimeStampedModel):
    """A request to trade: market (filled at once) or pending limit/stop (filled when a quote reaches its price)."""

    class Type(models.TextChoices):
        MARKET = "market", _("Market")
        LIMIT = "limit", _("Limit")
        STOP = "stop", _("Stop")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FILLED = "filled", _("Filled")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    class TimeInForce(models.TextChoices):
        GTC = "GTC", _("Good till cancelled")
        GTD = "GTD", _("Good till date")

    account = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="orders")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.MARKET)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    time_in_force = models.CharField(max_length=3, choices=TimeInForce.choices, default=TimeInForce.GTC)
    expires_at = models.DateTimeField(null=True, blank=True)
    lots = models.DecimalField(**VOLUME)
    price = models.DecimalField(**PRICE, null=True, blank=True, help_text=_("Limit or stop price."))
    stop_loss = models.DecimalField(**PRICE, null=True, blank=True)
    take_profit = models.DecimalField(**PRICE, null=True, blank=True)
    fill_price = models.DecimalField(**PRICE, null=True, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    position = models.ForeignKey(
        "trading.Position", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    reject_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(lots__gt=0), name="order_lots_positive"),
            models.CheckConstraint(condition=Q(type="market") | Q(price__gt=0), name="pending_order_has_price"),
        ]
        indexes = [models.Index(fields=["instrument", "status"], name="order_instrument_status_idx")]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class PositionQuerySet(models.QuerySet["Position"]):
    def visible_to(self, user: Any) -> PositionQuerySet:
        return _visible(self, user)  # type: ignore[return-value]

    def for_list(self) -> PositionQuerySet:
        return self.select_related("account", "account__customer", "instrument", "instrument__quote")

    def builtin(self) -> PositionQuerySet:
        """Positions of the built-in platform: those the engine runs (an outside platform runs its own)."""
        return self.filter(adapter__isnull=True)

    def open(self) -> PositionQuerySet:
        """Open positions of the built-in platform (triggers, margin, stop-out and swaps act on these)."""
        return self.builtin().filter(status=Position.Status.OPEN)


class Position(TimeStampedModel):
    """An open or closed position; several per symbol and account (hedging). Partial closes reduce `lots`."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        CLIENT = "client", _("Client")
        DEALER = "dealer", _("Dealer")
        STOP_LOSS = "stop_loss", _("Stop loss")
        TAKE_PROFIT = "take_profit", _("Take profit")
        STOP_OUT = "stop_out", _("Stop-out")

    account = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="positions")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="positions")
    side = models.CharField(max_length=4, choices=Side.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    lots = models.DecimalField(**VOLUME, help_text=_("Volume still open."))
    opened_lots = models.DecimalField(**VOLUME)
    open_price = models.DecimalField(**PRICE)
    opened_at = models.DateTimeField()
    stop_loss = models.DecimalField(**PRICE, null=True, blank=True)
    take_profit = models.DecimalField(**PRICE, null=True, blank=True)
    close_price = models.DecimalField(**PRICE, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    profit = models.DecimalField(**MONEY, default=Decimal(0), help_text=_("Realised, in the account currency."))
    commission = models.DecimalField(**MONEY, default=Decimal(0))
    swap = models.DecimalField(**MONEY, default=Decimal(0))
    last_swap_on = models.DateField(null=True, blank=True)
    funding = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text=_("Perpetual funding received (positive) or paid, in the account currency."),
    )
    last_funding_at = models.DateTimeField(null=True, blank=True)
    adapter = models.ForeignKey(
        "trading.PlatformAdapter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="positions",
        help_text=_("The outside platform this position was synced from; empty: the built-in platform."),
    )
    external_id = models.CharField(max_length=64, blank=True, help_text=_("The position's id on that platform."))

    objects = PositionQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(lots__gte=0, opened_lots__gt=0), name="position_lots_not_negative"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | Q(status="open", lots__gt=0),
                name="position_status_matches",
            ),
            models.UniqueConstraint(
                fields=["adapter", "external_id"],
                condition=Q(adapter__isnull=False),
                name="one_position_per_platform_id",
            ),
        ]
        indexes = [
            models.Index(fields=["instrument", "status"], name="position_instrument_status_idx"),
            models.Index(fields=["account", "status"], name="position_account_status_idx"),
        ]
        permissions = [
            ("close_position", "Can close clients' positions"),
            ("open_position", "Can open positions for an account"),
            ("view_exposure", "Can see the dealing desk's exposure"),
            ("correct_position", "Can correct positions' prices and commission"),
        ]

    def __str__(self) -> str:
        return f"Position #{self.pk}"


class PositionCorrection(models.Model):
    """A dealer's correction of a position's open price, close price or commission (000 dealing desk), with the
    reason and who made it; `balance_change` is what it moved on the account's balance (the old money effect
    reversed, the corrected one posted)."""

    class Field(models.TextChoices):
        OPEN_PRICE = "open_price", _("Open price")
        CLOSE_PRICE = "close_price", _("Close price")
        COMMISSION = "commission", _("Commission")

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(max_length=12, choices=Field.choices)
    before = models.DecimalField(**PRICE)
    after = models.DecimalField(**PRICE)
    balance_change = models.DecimalField(**MONEY, default=Decimal(0))
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Position correction #{self.pk}"


class DealQuerySet(models.QuerySet["Deal"]):
    def visible_to(self, user: Any) -> DealQuerySet:
        return _visible(self, user)  # type: ignore[return-value]

    def for_list(self) -> DealQuerySet:
        return self.select_related("account", "instrument", "position")

    def builtin(self) -> DealQuerySet:
        """Deals of the built-in platform (not synced from an outside one)."""
        return self.filter(adapter__isnull=True)


class Deal(models.Model):
    """One execution: a position opened (in) or closed in full or part (out), with its money effects."""

    class Entry(models.TextChoices):
        IN = "in", _("In")
        OUT = "out", _("Out")

    account = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="deals")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="deals")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="deals")
    side = models.CharField(max_length=4, choices=Side.choices)
    entry = models.CharField(max_length=3, choices=Entry.choices)
    lots = models.DecimalField(**VOLUME)
    price = models.DecimalField(**PRICE)
    profit = models.DecimalField(**MONEY, default=Decimal(0))
    commission = models.DecimalField(**MONEY, default=Decimal(0))
    compensation = models.DecimalField(
        **MONEY, default=Decimal(0), help_text=_("Loss the broker bore under negative balance protection.")
    )
    comment = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)
    adapter = models.ForeignKey(
        "trading.PlatformAdapter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        help_text=_("The outside platform this deal was synced from; empty: the built-in platform."),
    )
    external_id = models.CharField(max_length=64, blank=True, help_text=_("The deal's id on that platform."))

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(lots__gt=0), name="deal_lots_positive"),
            models.UniqueConstraint(
                fields=["adapter", "external_id"], condition=Q(adapter__isnull=False), name="one_deal_per_platform_id"
            ),
        ]

    def __str__(self) -> str:
        return f"Deal #{self.pk}"


class WatchlistItem(TimeStampedModel):
    """One symbol of a trading account's watchlist (000 Watchlists), in the client's order."""

    account = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="watchlist_items")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "instrument"], name="one_watchlist_row_per_symbol")]

    def __str__(self) -> str:
        return f"Watchlist item #{self.pk}"
