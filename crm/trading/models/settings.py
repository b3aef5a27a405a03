"""Trading configuration beyond instruments: assets, market groups and categories, session overrides, commission
profiles and their prioritised rules, downtimes, position durations, max risks and platform adapters.

Seeds: 001 "Settings — back office v2" (assets, internal assets, markets, categories, commission profiles) and
000 Downtimes, Position Durations, Max Risks and Adapters.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.core import crypto
from crm.core.models import TimeStampedModel
from crm.core.money import DecimalPlaces
from crm.trading.models.config import Instrument

FEE: DecimalPlaces = {"max_digits": 24, "decimal_places": 10}
POSITIVE = [MinValueValidator(Decimal(0))]


class Asset(TimeStampedModel):
    """Something an account holds or a market quotes (001 assets): a currency, a coin, a commodity."""

    class Type(models.TextChoices):
        FIAT = "Fiat", _("Fiat currency")
        CRYPTO = "Crypto", _("Crypto currency")
        COMMODITY = "Commodity", _("Commodity")
        STOCK = "Stock", _("Stock")
        INDEX = "Index", _("Index")
        OTHER = "Other", _("Other")

    class Source(models.TextChoices):
        INTERNAL = "Internal", _("Internal (created by staff)")
        EXTERNAL = "External", _("External (from a platform)")

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9._-]+$", _("Letters, digits, dots, dashes and underscores."))],
        help_text=_("The asset id, e.g. BTC or USD."),
    )
    name = models.CharField(max_length=100)
    scale = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(18)], help_text=_("Decimal places of amounts.")
    )
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.FIAT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.INTERNAL)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class MarketGroup(TimeStampedModel):
    """Markets that share commission rules (001 `marketGroupId`)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MarketCategory(TimeStampedModel):
    """A node of the market category tree (001 markets-categories): sub-categories and the markets in it."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    position = models.PositiveIntegerField(default=0)
    instruments = models.ManyToManyField(Instrument, blank=True, related_name="categories")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = _("market categories")

    def __str__(self) -> str:
        return self.name


class SessionOverride(TimeStampedModel):
    """A dated exception to an instrument's weekly sessions: other hours that day, or no trading (holiday)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="session_overrides")
    date = models.DateField()
    sessions = models.JSONField(
        default=list, blank=True, help_text=_('That day\'s sessions (UTC), e.g. [["10:00", "14:00"]]; empty: closed.')
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["instrument", "date"], name="one_session_override_a_day")]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.date}"

    def clean(self) -> None:
        from crm.trading.models.config import _is_time

        ranges = self.sessions if isinstance(self.sessions, list) else None
        if ranges is None or not all(
            isinstance(item, list) and len(item) == 2 and all(_is_time(t) for t in item) and item[0] < item[1]
            for item in ranges
        ):
            raise ValidationError({"sessions": _('Each session is ["HH:MM", "HH:MM"] with start before end.')})


class Downtime(TimeStampedModel):
    """A trading halt on some symbols between two moments (000 Downtimes): orders are refused meanwhile."""

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    instruments = models.ManyToManyField(Instrument, related_name="downtimes")

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="downtime_ends_after")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("Must be after the start.")})


class FeeType(models.TextChoices):
    PERCENT = "Percent", _("Percent of the notional")
    PER_LOT = "PerLot", _("Fixed per lot")
    FIXED = "Fixed", _("Fixed per trade")


class CommissionProfile(TimeStampedModel):
    """A set of commission rules; the first rule (by priority) that matches a market sets its fee."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommissionRule(TimeStampedModel):
    """One rule of a profile (001 commission rules): for a market, a market group or by default (neither).

    Spot fees: type and size; CFD fees: asset, type and size; a minimum fee (`minFeeRAT`). Priorities run 1..n
    in a profile with no gaps; the unique constraint is deferred so a re-sequencing may swap them.
    """

    profile = models.ForeignKey(CommissionProfile, on_delete=models.CASCADE, related_name="rules")
    priority = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, null=True, blank=True, related_name="commission_rules"
    )
    market_group = models.ForeignKey(
        MarketGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="commission_rules"
    )
    spot_fee_type = models.CharField(max_length=10, choices=FeeType.choices, default=FeeType.PERCENT)
    spot_fee_size = models.DecimalField(**FEE, default=Decimal(0), validators=POSITIVE)
    cfd_fee_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cfd_fee_type = models.CharField(max_length=10, choices=FeeType.choices, default=FeeType.PER_LOT)
    cfd_fee_size = models.DecimalField(**FEE, default=Decimal(0), validators=POSITIVE)
    min_fee = models.DecimalField(**FEE, default=Decimal(0), validators=POSITIVE)

    class Meta:
        ordering = ["profile", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "priority"],
                name="commission_rule_priority_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["profile", "instrument"],
                condition=Q(instrument__isnull=False),
                name="one_commission_rule_per_market",
            ),
            models.UniqueConstraint(
                fields=["profile", "market_group"],
                condition=Q(market_group__isnull=False),
                name="one_commission_rule_per_market_group",
            ),
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(instrument__isnull=True, market_group__isnull=True),
                name="one_default_commission_rule",
            ),
            models.CheckConstraint(
                condition=Q(instrument__isnull=True) | Q(market_group__isnull=True),
                name="commission_rule_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"Commission rule #{self.pk}"

    @property
    def is_default(self) -> bool:
        return self.instrument_id is None and self.market_group_id is None


class PositionDuration(TimeStampedModel):
    """A duration a client may pick for a fixed-duration position (000 Position Durations)."""

    seconds = models.PositiveIntegerField(unique=True, validators=[MinValueValidator(1)])
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["seconds"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_duration")
        ]

    def __str__(self) -> str:
        return f"{self.seconds}s"


class MaxRisk(TimeStampedModel):
    """An amount a client may put at risk on one position (000 Max Risks)."""

    amount = models.DecimalField(max_digits=20, decimal_places=2, unique=True, validators=POSITIVE)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["amount"]
        verbose_name_plural = _("max risks")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_max_risk")
        ]

    def __str__(self) -> str:
        return str(self.amount)


class PlatformAdapter(TimeStampedModel):
    """How the back office talks to a trading platform or another outside system (000 Adapters).

    `configuration` holds plain settings (URLs, server names, group prefixes); `secrets` holds credentials,
    encrypted at rest (`crm.core.crypto`) and never shown again after they are saved.
    """

    class Type(models.TextChoices):
        BUILTIN = "builtin", _("Built-in platform")
        REST = "rest", _("Outside platform over REST")
        METATRADER4 = "mt4", _("MetaTrader 4")
        METATRADER5 = "mt5", _("MetaTrader 5")
        CTRADER = "ctrader", _("cTrader")
        MATCHTRADER = "matchtrader", _("Match-Trader")
        PRICE_FEED = "pricefeed", _("Price feed")
        OTHER = "other", _("Other")

    TRADING_TYPES = (
        Type.BUILTIN, Type.REST, Type.METATRADER4, Type.METATRADER5, Type.CTRADER, Type.MATCHTRADER,
    )  # fmt: skip

    name = models.SlugField(max_length=50, unique=True)
    is_enabled = models.BooleanField(default=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.BUILTIN)
    configuration = models.JSONField(default=dict, blank=True)
    encrypted_secrets = models.TextField(blank=True, editable=False)
    secret_names = models.JSONField(default=list, blank=True, editable=False)
    synced_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("Time (UTC) of the last deal synced from the platform.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.configuration, dict):
            raise ValidationError({"configuration": _("An object of settings.")})

    @property
    def is_trading(self) -> bool:
        return self.type in self.TRADING_TYPES

    def set_secrets(self, secrets: dict[str, Any]) -> None:
        """Replace the credentials (encrypted); their names stay readable, their values do not."""
        self.encrypted_secrets = crypto.encrypt(json.dumps(secrets)) if secrets else ""
        self.secret_names = sorted(secrets)

    def secrets(self) -> dict[str, Any]:
        """The decrypted credentials, for the adapter's client only."""
        if not self.encrypted_secrets:
            return {}
        value: dict[str, Any] = json.loads(crypto.decrypt(self.encrypted_secrets))
        return value
