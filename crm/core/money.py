"""Money helpers: Decimal only, amounts rounded to the currency's minor units in one place.

Rounding rules:
- stored amounts are rounded half-even (banker's rounding), so rounding errors do not
  drift in one direction over millions of postings;
- amounts charged to the client (fees) round up, amounts paid to the client round down,
  so the broker never pays out a fraction it did not receive (`round_money(..., rounding=...)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, InvalidOperation
from typing import Protocol, TypedDict

# ISO 4217 minor units for the currencies brokers commonly hold, plus common crypto.
# Currencies the wallets domain stores carry their own minor units; this table is the
# fallback for code that only has a currency code.
MINOR_UNITS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "AUD": 2, "CAD": 2, "NZD": 2, "SGD": 2, "HKD": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "ZAR": 2, "TRY": 2, "MXN": 2,
    "BRL": 2, "CNY": 2, "INR": 2, "AED": 2, "SAR": 2, "ILS": 2, "THB": 2, "MYR": 2, "PHP": 2,
    "IDR": 2, "RUB": 2, "UAH": 2, "NGN": 2, "KES": 2, "EGP": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3,
    "BTC": 8, "ETH": 8, "LTC": 8, "BCH": 8, "XRP": 6, "USDT": 6, "USDC": 6, "SOL": 8, "TRX": 6,
}  # fmt: skip
DEFAULT_MINOR_UNITS = 2

ROUNDING_STORE = ROUND_HALF_EVEN
ROUNDING_CHARGE = ROUND_UP
ROUNDING_PAYOUT = ROUND_DOWN


class DecimalPlaces(TypedDict):
    """The precision of a decimal column or serializer field: `DecimalField(**MONEY)`."""

    max_digits: int
    decimal_places: int


class MoneyError(ValueError):
    pass


class CurrencyLike(Protocol):
    """A currency row (`crm.wallets.models.Currency`): its own minor units win over the table above."""

    code: str
    minor_units: int


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse an amount; floats are refused because they cannot hold money exactly."""
    if isinstance(value, float):
        raise MoneyError("Amounts must not be floats; pass a Decimal or a string.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"Not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"Not a finite amount: {value!r}")
    return amount


def round_money(value: Decimal | int | str, currency: str, *, rounding: str = ROUNDING_STORE) -> Decimal:
    """Round an amount to the currency's minor units (half-even unless told otherwise)."""
    return to_decimal(value).quantize(quantum(currency), rounding=rounding)


def format_money(amount: Decimal | int | str, currency: str | CurrencyLike) -> str:
    """An amount as a person reads it, in every message, email and admin page: `1,234.50 USD`, `0.00 USD`.

    Shown with the currency's minor units (a currency row's own, else the ISO table) and thousands grouped,
    never in exponent form (a zero balance stored with 8 decimals read "0E-8 USD"). Nothing is rounded away:
    an amount finer than the minor units (a rate, a rounding error being reported) keeps its digits.
    """
    if isinstance(currency, str):
        code, units = currency, minor_units(currency)
    else:
        code, units = currency.code, currency.minor_units
    value = to_decimal(amount)
    shown = value.normalize()
    exponent = shown.as_tuple().exponent  # an int: to_decimal refuses NaN and infinity
    if isinstance(exponent, int) and exponent > -units:
        shown = value.quantize(Decimal(1).scaleb(-units))
    if shown.is_zero():
        shown = abs(shown)
    return f"{shown:,f} {code}"


def to_minor(value: Decimal | int | str, currency: str) -> int:
    """Amount in minor units (cents): 12.34 USD -> 1234. Refuses amounts finer than a minor unit."""
    amount = to_decimal(value)
    if amount != amount.quantize(quantum(currency)):
        raise MoneyError(f"{format_money(amount, currency)} has more decimals than {currency} allows.")
    return int(amount.scaleb(minor_units(currency)))


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-minor_units(currency))


@dataclass(frozen=True)
class Money:
    """An amount with its currency. Arithmetic only between the same currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", self.currency.upper())

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError(f"Cannot combine {self.currency} with {getattr(other, 'currency', other)!r}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self, *, rounding: str = ROUNDING_STORE) -> Money:
        return Money(round_money(self.amount, self.currency, rounding=rounding), self.currency)

    def __str__(self) -> str:
        return format_money(self.rounded().amount, self.currency)
