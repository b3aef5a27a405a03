"""Trading configuration: instruments (000 Instruments, 001 markets) and groups' trading settings (000 Group)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.core.money import DecimalPlaces
from crm.trading import formulas
from crm.wallets.models import AccountGroup

PRICE: DecimalPlaces = {"max_digits": 24, "decimal_places": 10}
VOLUME: DecimalPlaces = {"max_digits": 20, "decimal_places": 8}
RATE: DecimalPlaces = {"max_digits": 12, "decimal_places": 6}
POSITIVE = [MinValueValidator(Decimal(0))]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CalcMode(models.IntegerChoices):
    """MT5 calc modes (000 `profitCalcMode` / `marginCalcMode`); values as `ENUM_SYMBOL_CALC_MODE`."""

    FOREX = formulas.CalcMode.FOREX, _("Forex")
    FUTURES = formulas.CalcMode.FUTURES, _("Futures")
    CFD = formulas.CalcMode.CFD, _("CFD")
    CFD_INDEX = formulas.CalcMode.CFD_INDEX, _("CFD index")
    CFD_LEVERAGE = formulas.CalcMode.CFD_LEVERAGE, _("CFD leverage")
    FOREX_NO_LEVERAGE = formulas.CalcMode.FOREX_NO_LEVERAGE, _("Forex no leverage")
    EXCH_STOCKS = formulas.CalcMode.EXCH_STOCKS, _("Exchange stocks")


class SwapMode(models.IntegerChoices):
    """How swaps are charged (MT5 `ENUM_SYMBOL_SWAP_MODE`; the engine runs the ones listed here)."""

    DISABLED = formulas.SwapMode.DISABLED, _("Disabled")
    POINTS = formulas.SwapMode.POINTS, _("In points")
    CURRENCY_SYMBOL = formulas.SwapMode.CURRENCY_SYMBOL, _("Money per lot, base currency")
    CURRENCY_MARGIN = formulas.SwapMode.CURRENCY_MARGIN, _("Money per lot, margin currency")
    CURRENCY_DEPOSIT = formulas.SwapMode.CURRENCY_DEPOSIT, _("Money per lot, account currency")
    INTEREST_CURRENT = formulas.SwapMode.INTEREST_CURRENT, _("Annual interest, current price")
    INTEREST_OPEN = formulas.SwapMode.INTEREST_OPEN, _("Annual interest, open price")


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def enabled(self) -> InstrumentQuerySet:
        return self.filter(is_enabled=True)

    def for_list(self) -> InstrumentQuerySet:
        return self.select_related("quote")


class Instrument(TimeStampedModel):
    """A symbol clients trade (000 Instruments, 001 markets): sizes, calc modes, margin, swaps and sessions."""

    class Category(models.TextChoices):
        FOREX = "FOREX", _("Forex")
        METALS = "METALS", _("Metals")
        INDICES = "INDICES", _("Indices")
        COMMODITIES = "COMMODITIES", _("Commodities")
        ENERGIES = "ENERGIES", _("Energies")
        STOCKS = "STOCKS", _("Stocks")
        CRYPTO = "CRYPTO", _("Crypto")
        OTHER = "OTHER", _("Other")

    class MarketType(models.TextChoices):
        SPOT = "SPOT", _("Spot")
        CFD = "CFD", _("CFD")
        PERPETUAL = "PERPETUAL", _("Perpetual")

    symbol = models.CharField(max_length=32, unique=True)
    description = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.FOREX, db_index=True)
    market_type = models.CharField(max_length=12, choices=MarketType.choices, default=MarketType.CFD)
    margin_currency = models.CharField(max_length=10, help_text=_("Base currency, e.g. EUR for EURUSD."))
    profit_currency = models.CharField(max_length=10, help_text=_("Quote currency, e.g. USD for EURUSD."))
    digits = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(10)],
        help_text=_(
            "Decimal places of prices (a point is one unit of the last); prices the platform works out are rounded "
            "to them."
        ),
    )
    contract_size = models.DecimalField(**VOLUME, default=Decimal(100000), validators=POSITIVE)
    profit_calc_mode = models.PositiveSmallIntegerField(choices=CalcMode.choices, default=CalcMode.FOREX)
    margin_calc_mode = models.PositiveSmallIntegerField(choices=CalcMode.choices, default=CalcMode.FOREX)
    tick_size = models.DecimalField(**PRICE, default=Decimal("0.00001"), validators=POSITIVE)
    tick_value = models.DecimalField(**PRICE, default=Decimal(1), validators=POSITIVE)
    initial_margin = models.DecimalField(
        **PRICE, null=True, blank=True, validators=POSITIVE, help_text=_("Fixed margin per lot; replaces the formula.")
    )
    maintenance_margin = models.DecimalField(**PRICE, null=True, blank=True, validators=POSITIVE)
    hedged_margin = models.DecimalField(
        **VOLUME,
        default=Decimal(0),
        validators=POSITIVE,
        help_text=_("Contract size charged per covered lot of opposite positions; 0 charges nothing for them."),
    )
    margin_rate_long = models.DecimalField(**RATE, default=Decimal(1), validators=POSITIVE)
    margin_rate_short = models.DecimalField(**RATE, default=Decimal(1), validators=POSITIVE)
    max_leverage = models.PositiveIntegerField(null=True, blank=True, help_text=_("Caps the account's leverage."))
    min_lot = models.DecimalField(**VOLUME, default=Decimal("0.01"), validators=POSITIVE)
    max_lot = models.DecimalField(**VOLUME, default=Decimal(100), validators=POSITIVE)
    lot_step = models.DecimalField(**VOLUME, default=Decimal("0.01"), validators=POSITIVE)
    price_deviation = models.DecimalField(
        **RATE,
        default=Decimal(0),
        validators=POSITIVE,
        help_text=_("Largest distance in percent between a quote and the last one accepted; 0 accepts any."),
    )
    swap_mode = models.PositiveSmallIntegerField(choices=SwapMode.choices, default=SwapMode.POINTS)
    swap_long = models.DecimalField(**RATE, default=Decimal(0))
    swap_short = models.DecimalField(**RATE, default=Decimal(0))
    swap_triple_day = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(6)], help_text=_("0 = Sunday ... 6 = Saturday; 3 = Wednesday.")
    )
    funding_interval_hours = models.PositiveSmallIntegerField(default=8, validators=[MinValueValidator(1)])
    sessions = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Trading hours per weekday (UTC), e.g. {"mon": [["00:00", "24:00"]]}; empty: always open.'),
    )
    base_asset = models.ForeignKey("trading.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quote_asset = models.ForeignKey("trading.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    market_group = models.ForeignKey(
        "trading.MarketGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="instruments"
    )
    amount_scale = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(8)],
        help_text=_("Decimal places of amounts (lots times the contract size) shown to clients."),
    )
    slippage_rate = models.DecimalField(
        **RATE,
        default=Decimal(0),
        validators=POSITIVE,
        help_text=_("Largest distance in percent a market order may fill from the requested price."),
    )
    is_const_leverage = models.BooleanField(
        default=False, help_text=_("Always trade at the maximum leverage, whatever the account's leverage.")
    )
    min_quote_amount = models.DecimalField(
        **PRICE, null=True, blank=True, validators=POSITIVE, help_text=_("Smallest order value, in the quote asset.")
    )
    is_synchronized = models.BooleanField(
        default=False, help_text=_("Kept in step with the definition on the outside platform.")
    )
    external_ttl = models.PositiveIntegerField(
        default=0, help_text=_("Seconds an outside platform's quote stays valid; 0: no limit.")
    )
    internal_ttl = models.PositiveIntegerField(
        default=0, help_text=_("Seconds a quote of the built-in feed stays valid; 0: no limit.")
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "symbol"]
        constraints = [
            models.CheckConstraint(condition=Q(min_lot__gt=0, lot_step__gt=0), name="instrument_lots_positive"),
            models.CheckConstraint(condition=Q(max_lot__gte=F("min_lot")), name="instrument_max_lot_over_min"),
            models.CheckConstraint(
                condition=Q(contract_size__gt=0, tick_size__gt=0), name="instrument_sizes_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.symbol

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for day, ranges in (self.sessions or {}).items():
            if day not in WEEKDAYS or not isinstance(ranges, list):
                errors["sessions"] = _("Use weekday keys mon..sun, each with a list of [start, end] times.")
                break
            for item in ranges:
                if not (isinstance(item, list) and len(item) == 2 and all(_is_time(t) for t in item)):
                    errors["sessions"] = _('Each session is ["HH:MM", "HH:MM"] with 00:00 <= start < end <= 24:00.')
                    break
                if item[0] >= item[1]:
                    errors["sessions"] = _("A session must end after it starts.")
        if self.is_const_leverage and not self.max_leverage:
            errors["max_leverage"] = _("A constant leverage needs the maximum leverage.")
        if self.min_lot and self.max_lot and self.max_lot < self.min_lot:
            errors["max_lot"] = _("Must not be below the minimum lot.")
        if self.lot_step and self.contract_size and self.amount_scale is not None:
            step = self.lot_step * self.contract_size
            if self.amount_scale < decimals(step):
                errors["amount_scale"] = _(
                    "Must be at least %(scale)d: the lot step's amount (lot step times contract size, %(step)s) "
                    "has %(scale)d decimal places."
                ) % {"scale": decimals(step), "step": format(step.normalize(), "f")}
        if errors:
            raise ValidationError(errors)

    @property
    def point(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)


def decimals(amount: Decimal) -> int:
    """Decimal places `amount` needs (0.0010 needs 3, 1000 none)."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _is_time(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return False
    return (int(hours) < 24 and int(minutes) < 60) or value == "24:00"


class GroupTradingSettings(TimeStampedModel):
    """What trading adds to an account group (000 Group): levels, stop-out policy, commissions, swaps, hedging."""

    class HedgingMode(models.TextChoices):
        BASIC = "basic", _("Uncovered plus hedged volume")
        LARGER_LEG = "larger_leg", _("Larger leg")

    group = models.OneToOneField(AccountGroup, on_delete=models.CASCADE, related_name="trading_settings")
    margin_call_level = models.DecimalField(**RATE, default=Decimal(100), validators=POSITIVE)
    stop_out_level = models.DecimalField(**RATE, default=Decimal(50), validators=POSITIVE)
    stop_out_policy = models.CharField(
        max_length=20,
        choices=[(p.value, p.value.replace("_", " ").capitalize()) for p in formulas.StopOutPolicy],
        default=formulas.StopOutPolicy.LARGEST_LOSS.value,
    )
    hedging_mode = models.CharField(max_length=12, choices=HedgingMode.choices, default=HedgingMode.BASIC)
    negative_balance_protection = models.BooleanField(
        default=True, help_text=_("A stop-out never leaves the account below zero; the broker bears the rest.")
    )
    swaps_enabled = models.BooleanField(default=True)
    commission_per_lot = models.DecimalField(
        **PRICE, default=Decimal(0), validators=POSITIVE, help_text=_("Per side, in the account currency.")
    )
    markup_points = models.PositiveIntegerField(default=0, help_text=_("Added to the spread on both sides."))
    commission_profile = models.ForeignKey(
        "trading.CommissionProfile", on_delete=models.PROTECT, null=True, blank=True, related_name="group_settings"
    )
    adapter = models.ForeignKey(
        "trading.PlatformAdapter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_settings",
        help_text=_("The platform the group's accounts trade on; empty: the built-in platform."),
    )

    class Meta:
        verbose_name = _("group trading settings")
        verbose_name_plural = _("group trading settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_out_level__lte=F("margin_call_level")), name="stop_out_at_or_below_margin_call"
            )
        ]

    def __str__(self) -> str:
        return f"Trading settings #{self.pk}"


class GroupInstrument(TimeStampedModel):
    """A group's settings for one instrument: markup and commission that replace the group's, or trading off."""

    settings = models.ForeignKey(GroupTradingSettings, on_delete=models.CASCADE, related_name="instruments")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    is_enabled = models.BooleanField(default=True)
    markup_points = models.PositiveIntegerField(null=True, blank=True)
    commission_per_lot = models.DecimalField(**PRICE, null=True, blank=True, validators=POSITIVE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["settings", "instrument"], name="one_group_instrument_row")]

    def __str__(self) -> str:
        return f"Group instrument #{self.pk}"


class Quote(models.Model):
    """The last quote of an instrument, as the feed published it (raw; markups apply when filling)."""

    instrument = models.OneToOneField(Instrument, on_delete=models.CASCADE, primary_key=True, related_name="quote")
    bid = models.DecimalField(**PRICE)
    ask = models.DecimalField(**PRICE)
    time = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(ask__gte=F("bid"), bid__gt=0), name="quote_ask_over_bid")]

    def __str__(self) -> str:
        return f"{self.bid}/{self.ask}"
