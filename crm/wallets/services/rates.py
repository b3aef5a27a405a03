"""Currencies, exchange rates and conversions: the current rate of a pair and amount conversion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.money import ROUNDING_PAYOUT, ROUNDING_STORE, to_decimal
from crm.core.services import changed_fields, record_activity, snapshot
from crm.wallets.exceptions import NoExchangeRate
from crm.wallets.models import Currency, CurrencyConversion, ExchangeRate

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

RATE_QUANTUM = Decimal("1e-12")


def quantize(amount: Decimal | str | int, currency: Currency, *, rounding: str = ROUNDING_STORE) -> Decimal:
    """An amount rounded to the currency's minor units (half-even unless told; see crm.core.money)."""
    return to_decimal(amount).quantize(currency.quantum, rounding=rounding)


def check_precision(amount: Decimal, currency: Currency, *, field: str = "amount") -> Decimal:
    """Refuse amounts that are not positive or are finer than the currency's minor units."""
    if amount <= 0:
        raise ValidationError({field: [_("Must be greater than zero.")]})
    if amount != amount.quantize(currency.quantum):
        raise ValidationError({field: [f"{currency.code} has {currency.minor_units} decimals at most."]})
    return amount


def direct_rate(from_code: str, to_code: str) -> Decimal:
    """The newest rate quoted for the pair, or the inverse of the newest quote for the opposite pair."""
    if from_code == to_code:
        return Decimal(1)
    quote = ExchangeRate.objects.filter(from_currency_id=from_code, to_currency_id=to_code).order_by("-updated_at")
    rate = quote.values_list("rate", flat=True).first()
    if rate is not None:
        return rate
    inverse = (
        ExchangeRate.objects.filter(from_currency_id=to_code, to_currency_id=from_code)
        .order_by("-updated_at")
        .values_list("rate", flat=True)
        .first()
    )
    if inverse:
        return (Decimal(1) / inverse).quantize(RATE_QUANTUM)
    raise NoExchangeRate(
        _("There is no exchange rate from %(from_code)s to %(to_code)s.")
        % {"from_code": from_code, "to_code": to_code},
        fields={"currency": [_("No rate.")]},
    )


def current_rate(source: str, target: str) -> Decimal:
    """The rate to convert `source` into `target`: along the configured conversion path if any, else direct."""
    if source == target:
        return Decimal(1)
    path = CurrencyConversion.objects.filter(source_id=source, target_id=target).values_list("path", flat=True).first()
    steps = path.split(">") if path else [source, target]
    rate = Decimal(1)
    for step_from, step_to in pairwise(steps):
        rate *= direct_rate(step_from, step_to)
    return rate.quantize(RATE_QUANTUM)


@dataclass(frozen=True)
class Conversion:
    amount: Decimal
    source: str
    converted: Decimal
    target: str
    rate: Decimal


def convert(amount: Decimal, source: Currency, target: Currency, *, rounding: str = ROUNDING_PAYOUT) -> Conversion:
    """Convert at the current rate; the result is rounded down (paid out) unless told otherwise."""
    rate = current_rate(source.code, target.code)
    converted = quantize(to_decimal(amount) * rate, target, rounding=rounding)
    return Conversion(
        amount=to_decimal(amount), source=source.code, converted=converted, target=target.code, rate=rate
    )


# Writes ---------------------------------------------------------------------------------


@transaction.atomic
def save_currency(currency: Currency | None = None, *, actor: Actor, **values: Any) -> Currency:
    """Create or change a currency (minor units of a currency with postings are kept by the precision check)."""
    currency = currency or Currency()
    before = snapshot(currency, list(values))
    for name, value in values.items():
        setattr(currency, name, value)
    currency.full_clean(validate_unique=currency._state.adding)
    currency.save()
    record_activity(actor=actor, action="currency.saved", target=currency, changes=changed_fields(currency, before))
    return currency


@transaction.atomic
def save_exchange_rate(quote: ExchangeRate | None = None, *, actor: Actor, **values: Any) -> ExchangeRate:
    """Create or change an exchange rate quote (one per pair and source)."""
    quote = quote or ExchangeRate()
    before = snapshot(quote, ["from_currency", "to_currency", "source", "rate"])
    for name, value in values.items():
        setattr(quote, name, value)
    quote.full_clean()
    quote.save()
    record_activity(actor=actor, action="exchange_rate.saved", target=quote, changes=changed_fields(quote, before))
    return quote


def _check_path(conversion: CurrencyConversion) -> None:
    steps = conversion.path.split(">")
    if steps[0] != conversion.source_id or steps[-1] != conversion.target_id:
        raise ValidationError({"path": [_("The path must start with the source and end with the target.")]})
    known = set(Currency.objects.filter(code__in=steps).values_list("code", flat=True))
    unknown = [code for code in steps if code not in known]
    if unknown:
        raise ValidationError({"path": [_("Unknown currencies: %(unknown)s.") % {"unknown": ", ".join(unknown)}]})


@transaction.atomic
def save_conversion(
    conversion: CurrencyConversion | None = None, *, actor: Actor, **values: Any
) -> CurrencyConversion:
    """Create a conversion path or change its path."""
    conversion = conversion or CurrencyConversion()
    before = snapshot(conversion, ["path"])
    for name, value in values.items():
        setattr(conversion, name, value)
    conversion.full_clean()
    _check_path(conversion)
    conversion.save()
    record_activity(
        actor=actor, action="conversion.saved", target=conversion, changes=changed_fields(conversion, before)
    )
    return conversion


@transaction.atomic
def delete_conversion(conversion: CurrencyConversion, *, actor: Actor) -> None:
    record_activity(actor=actor, action="conversion.deleted", target=conversion, data={"path": conversion.path})
    conversion.delete()
