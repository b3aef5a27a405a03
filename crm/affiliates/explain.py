"""Plain-language explanation of a ledger record: which rule, at which level of which plan, for which event."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from crm.affiliates.models import CommissionLedger, CommissionRule
from crm.core.money import format_money

Kind = CommissionRule.Kind


def _amount(value: Decimal, currency: str) -> str:
    """With its currency's minor units; a rule or base without a currency shows the plain number."""
    return format_money(value, currency) if currency else f"{value.normalize():f}"


def _what(record: CommissionLedger) -> str:
    rule, action = record.rule, record.action
    currency = rule.currency_id or ""
    if rule.kind in (Kind.CPA, Kind.CPL):
        return f"{rule.get_kind_display()}: {_amount(cast(Decimal, rule.amount), currency)}"
    if rule.kind == Kind.LOT_REBATE:
        return f"{_amount(cast(Decimal, rule.amount), currency)} per lot x {action.lots.normalize():f} lots"
    base: str = cast(
        dict[str, str],
        {
            Kind.REVENUE_SHARE: "net deposit",
            Kind.COMMISSION_SHARE: "trading commission",
            Kind.SPREAD_SHARE: "spread",
        },
    )[rule.kind]
    return (
        f"{cast(Decimal, rule.percent).normalize():f}% of {base} {_amount(record.base_amount, record.base_currency)}"
    )


def explain(record: CommissionLedger) -> str:
    """e.g. "CPA on a qualifying first deposit: 100.00 USD — rule #3, level 2 of plan "Gold" — FTD #501 of client #7
    on 2025-01-03 (direct introducer 1 level below) — x 1 -> 100.00 USD". Needs `for_list()` joins only."""
    rule, action = record.rule, record.action
    plan = rule.level.commission_model
    parts = [
        _what(record),
        f'rule #{rule.pk}, level {record.level} of plan "{plan.name}"',
        f"{action.get_action_type_display()} #{action.source_id} of client #{record.referral_id} "
        f"on {action.occurred_at:%Y-%m-%d %H:%M}",
    ]
    if record.level > 1:
        parts.append(f"introduced {record.level - 1} level(s) below this affiliate")
    if record.reverses_id:
        parts.append(f"claws back record #{record.reverses_id}")
    parts.append(f"x {record.exchange_rate.normalize():f} -> {_amount(record.commission_amount, record.currency_id)}")
    if record.corrected_commission_amount is not None:
        corrected = _amount(record.corrected_commission_amount, record.currency_id)
        parts.append(f"corrected to {corrected}: {record.admin_comments}")
    return " — ".join(parts)
