from decimal import Decimal

import pytest

from crm.core.money import (
    ROUNDING_CHARGE,
    ROUNDING_PAYOUT,
    Money,
    MoneyError,
    format_money,
    from_minor,
    round_money,
    to_minor,
)


def test_amounts_round_half_even_to_the_currency_minor_units():
    assert round_money("2.345", "USD") == Decimal("2.34")
    assert round_money("2.355", "USD") == Decimal("2.36")
    assert round_money("1234.5", "JPY") == Decimal("1234")
    assert round_money("0.123456789", "BTC") == Decimal("0.12345679")
    assert round_money("1.0005", "KWD") == Decimal("1.000")


def test_charges_round_up_and_payouts_round_down():
    assert round_money("1.001", "EUR", rounding=ROUNDING_CHARGE) == Decimal("1.01")
    assert round_money("1.009", "EUR", rounding=ROUNDING_PAYOUT) == Decimal("1.00")


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        round_money(0.1, "USD")


def test_minor_units_round_trip_and_refuse_fractions_of_a_cent():
    assert to_minor("12.34", "USD") == 1234
    assert from_minor(1234, "USD") == Decimal("12.34")
    with pytest.raises(MoneyError):
        to_minor("12.345", "USD")


def test_money_adds_only_the_same_currency():
    assert Money("1.10", "usd") + Money("2.20", "USD") == Money(Decimal("3.30"), "USD")
    with pytest.raises(MoneyError):
        Money("1", "USD") + Money("1", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("0E-8"), "USD", "0.00 USD"),
        (Decimal("-0E-8"), "USD", "0.00 USD"),
        (Decimal("1234.5"), "USD", "1,234.50 USD"),
        (Decimal("12.50000000"), "EUR", "12.50 EUR"),
        (Decimal("1E+3"), "JPY", "1,000 JPY"),
        (Decimal("-1234567.891"), "KWD", "-1,234,567.891 KWD"),
        (Decimal("0.001"), "USD", "0.001 USD"),  # finer than a cent: nothing is rounded away
        (Decimal("0.5"), "BTC", "0.50000000 BTC"),
        (5, "USD", "5.00 USD"),
    ],
)
def test_format_money(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_format_money_takes_a_currency_rows_own_minor_units():
    class Row:
        code, minor_units = "USDT", 2

    assert format_money(Decimal("3.1"), Row()) == "3.10 USDT"
