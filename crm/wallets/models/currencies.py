"""Currencies, exchange rates and conversion paths (004 Currency, 000 Exchange Rate and Conversions)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

CURRENCY_CODE = RegexValidator(r"^[A-Z0-9]{2,10}$", _("Upper-case letters and digits, e.g. USD or USDT."))
CONVERSION_PATH = RegexValidator(
    r"^[A-Z0-9]{2,10}(>[A-Z0-9]{2,10})+$", _("Currency codes joined by '>', e.g. BTC>USDT>USD.")
)


class Currency(TimeStampedModel):
    """A currency wallets and payments may hold; its minor units fix how amounts are rounded."""

    class Kind(models.TextChoices):
        FIAT = "fiat", _("Fiat")
        CRYPTO = "crypto", _("Crypto")

    code = models.CharField(max_length=10, primary_key=True, validators=[CURRENCY_CODE])
    name = models.CharField(max_length=100)
    minor_units = models.PositiveSmallIntegerField(default=2, help_text=_("Decimals, e.g. 2 for USD, 8 for BTC."))
    numeric_code = models.PositiveIntegerField(null=True, blank=True, help_text=_("ISO 4217, e.g. 840 for USD."))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIAT)
    is_enabled = models.BooleanField(default=True)
    has_destination_tag = models.BooleanField(
        default=False, help_text=_("Transfers in this currency need a destination tag or memo.")
    )
    block_explorer_url = models.CharField(max_length=255, blank=True, help_text=_("URL template with {address}."))

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("currencies")
        constraints = [models.CheckConstraint(condition=Q(minor_units__lte=18), name="currency_minor_units_max")]

    def __str__(self) -> str:
        return self.code

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units)


class ExchangeRate(TimeStampedModel):
    """How many units of `to_currency` one unit of `from_currency` buys, as quoted by `source`."""

    from_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    to_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=50, default="manual", help_text=_("Who quoted the rate, e.g. manual, ecb."))
    rate = models.DecimalField(max_digits=28, decimal_places=12, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["from_currency", "to_currency", "source"]
        constraints = [
            models.UniqueConstraint(fields=["from_currency", "to_currency", "source"], name="one_rate_per_source"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(from_currency=F("to_currency")), name="exchange_rate_two_currencies"),
        ]
        indexes = [models.Index(fields=["from_currency", "to_currency", "-updated_at"], name="rate_pair_idx")]

    def __str__(self) -> str:
        return f"{self.from_currency_id}/{self.to_currency_id} {self.rate} ({self.source})"


class CurrencyConversion(TimeStampedModel):
    """The chain of rates used to convert `source` into `target` when there is no direct rate."""

    source = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=200, validators=[CONVERSION_PATH], help_text=_("e.g. BTC>USDT>USD"))

    class Meta:
        ordering = ["source", "target"]
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="one_conversion_per_pair")]

    def __str__(self) -> str:
        return self.path

    @property
    def steps(self) -> list[str]:
        return self.path.split(">")
