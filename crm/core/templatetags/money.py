"""`{% load money %}` then `{{ amount|money:currency }}`: an amount as `crm.core.money.format_money` shows it."""

from __future__ import annotations

from decimal import Decimal

from django import template

from crm.core.money import CurrencyLike, format_money

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | int | str | None, currency: str | CurrencyLike) -> str:
    """`1,234.50 USD`; empty for no amount."""
    return "" if amount is None or amount == "" else format_money(amount, currency)
