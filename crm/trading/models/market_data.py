"""Market data kept for charts: OHLC candles per instrument and interval, built from the quotes (bid side)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.trading.models.config import PRICE, Instrument


class CandleInterval(models.TextChoices):
    """Candle lengths (001 `history` `interval`), each a whole number of minutes."""

    M1 = "M1", _("1 minute")
    M5 = "M5", _("5 minutes")
    M15 = "M15", _("15 minutes")
    M30 = "M30", _("30 minutes")
    H1 = "H1", _("1 hour")
    H4 = "H4", _("4 hours")
    D1 = "D1", _("1 day")


MINUTES = {"M1": 1, "M5": 5, "M15": 15, "M30": 30, "H1": 60, "H4": 240, "D1": 1440}


def candle_start(moment: dt.datetime, interval: str) -> dt.datetime:
    """The start (UTC) of the candle of `interval` holding `moment`: whole intervals since midnight UTC."""
    moment = moment.astimezone(dt.UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = MINUTES[interval]
    elapsed = (moment.hour * 60 + moment.minute) // minutes * minutes
    return midnight + dt.timedelta(minutes=elapsed)


class Candle(models.Model):
    """One OHLC bar of an instrument's bid over an interval starting at `start` (UTC)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="candles")
    interval = models.CharField(max_length=3, choices=CandleInterval.choices)
    start = models.DateTimeField()
    open = models.DecimalField(**PRICE)
    high = models.DecimalField(**PRICE)
    low = models.DecimalField(**PRICE)
    close = models.DecimalField(**PRICE)
    ticks = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["instrument", "interval", "start"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "interval", "start"], name="one_candle_per_interval"),
            models.CheckConstraint(condition=Q(high__gte=F("low"), low__gt=0), name="candle_high_over_low"),
        ]

    def __str__(self) -> str:
        return f"Candle #{self.pk}"

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=MINUTES[self.interval])


class FundingRate(models.Model):
    """A perpetual market's funding rate for the funding moment `applied_at` (001 funding history: appliedAt,
    interval, rate): at that moment each open position pays (longs, positive rate) or receives its notional times
    the rate. The rate in force at a moment is the last one applied at or before it."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="funding_rates")
    applied_at = models.DateTimeField()
    interval_hours = models.PositiveSmallIntegerField(default=8)
    rate = models.DecimalField(
        max_digits=14,
        decimal_places=10,
        validators=[MinValueValidator(Decimal("-0.1")), MaxValueValidator(Decimal("0.1"))],
        help_text=_("A fraction of the notional, within -0.1..0.1 (10%); positive: longs pay shorts."),
    )

    class Meta:
        ordering = ["instrument", "-applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "applied_at"], name="one_funding_rate_per_moment"),
            models.CheckConstraint(
                condition=Q(rate__gte=Decimal("-0.1"), rate__lte=Decimal("0.1")), name="funding_rate_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"Funding rate #{self.pk}"
