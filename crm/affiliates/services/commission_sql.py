"""The SQL of the commission run, portable between PostgreSQL and SQLite.

Two statements. `targets_sql` writes a small temporary table: for every (affiliate a client may be
introduced by, action type, action currency), every rule that pays an ancestor of that affiliate at that
distance, with the exchange rate to the ancestor's currency, the cap in that currency and the rate for
the minimum-deposit check. `ledger_sql` then joins a chunk of actions to it on equality (a hash join
whatever the size) and writes the ledger rows, skipping those that exist.
"""

from __future__ import annotations

from django.db import connection

from crm.affiliates.models import (
    Affiliate,
    AffiliateTreePath,
    CommissionLedger,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
    ReferralAction,
)
from crm.wallets.models import Currency

TARGETS = "affiliates_commission_targets"
LEDGER_COLUMNS = (
    "created_at, updated_at, introducer_id, referral_id, level, rule_id, action_id, commission_type, action_type, "
    "action_details, commission_amount, currency_id, base_amount, base_currency, exchange_rate, action_timestamp, "
    "status, hold_until, reject_reason, admin_comments"
)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def union(rows: list[tuple], columns: tuple[str, ...]) -> tuple[str, list]:
    """A small constant relation as a portable subquery (SELECT ... UNION ALL SELECT ...)."""
    parts: list[str] = []
    params: list = []
    for row in rows:
        parts.append("SELECT " + ", ".join(f"%s AS {name}" for name in columns))
        params.extend(row)
    return " UNION ALL ".join(parts), params


def round_down(expression: str) -> str:
    """Round towards zero to the currency's minor units (commissions are paid out: never a fraction more)."""
    if connection.vendor == "postgresql":
        return f"TRUNC({expression}, t.minor_units)"
    # SQLite has no TRUNC(x, n): scale, drop the float noise, truncate, scale back.
    factor = "CASE t.minor_units " + " ".join(f"WHEN {n} THEN {10**n}" for n in range(19)) + " END"
    return f"(CAST(ROUND(({expression}) * {factor}, 6) AS INTEGER) * 1.0 / {factor})"


def hold_until() -> str:
    if connection.vendor == "postgresql":
        return "a.occurred_at + t.hold_days * INTERVAL '1 day'"
    # SQLite keeps datetimes as text: shift the date and time, keep the microseconds as they were.
    return (
        "strftime('%%Y-%%m-%%d %%H:%%M:%%S', a.occurred_at, '+' || t.hold_days || ' days') "
        "|| substr(a.occurred_at, 20)"
    )


def in_list(column: str, value: str) -> str:
    """`column` (a stored "A,B" list) is empty or holds `value`."""
    return f"({column} = '' OR (',' || {column} || ',') LIKE ('%%,' || {value} || ',%%'))"


def targets_sql(*, kinds_sql: str, currencies_sql: str, rates_sql: str, has_default: bool) -> str:
    """CREATE TEMP TABLE of the rules per (introducing affiliate, action type, action currency).

    Params: default plan (if any), kinds, action currencies, rates x3.
    """
    fixed = "', '".join(CommissionRule.FIXED_KINDS)
    default = "%s" if has_default else "NULL"
    return f"""
        CREATE TEMP TABLE {TARGETS} AS
        SELECT p.descendant_id AS descendant_id, k.action_type AS action_type, cur.code AS action_currency,
               k.sign AS sign, anc.id AS introducer_id, p.depth + 1 AS level, r.id AS rule_id, r.kind AS kind,
               r.amount AS rule_amount, r.percent AS percent, r.min_holding_seconds AS min_holding_seconds,
               r.min_deposit AS min_deposit, r.countries AS countries, r.instruments AS instruments,
               r.instrument_groups AS instrument_groups, fx.rate AS rate, r.cap_amount * fx_cap.rate AS cap,
               fx_min.rate AS rate_min, anc.currency_id AS currency_id, c.minor_units AS minor_units,
               m.hold_days AS hold_days
        FROM {table(AffiliateTreePath)} p
        JOIN {table(Affiliate)} anc ON anc.id = p.ancestor_id AND anc.status = 'active'
        JOIN {table(CommissionLevel)} l
            ON l.commission_model_id = COALESCE(anc.commission_model_id, {default}) AND l.level = p.depth + 1
        JOIN {table(CommissionModel)} m ON m.id = l.commission_model_id AND m.is_enabled
        JOIN {table(CommissionRule)} r ON r.level_id = l.id AND r.is_enabled
        JOIN ({kinds_sql}) k ON k.kind = r.kind
        JOIN {table(Currency)} c ON c.code = anc.currency_id
        CROSS JOIN ({currencies_sql}) cur
        JOIN ({rates_sql}) fx
            ON fx.source = CASE WHEN r.kind IN ('{fixed}') THEN r.currency_id ELSE cur.code END
            AND fx.target = anc.currency_id
        LEFT JOIN ({rates_sql}) fx_cap ON fx_cap.source = r.currency_id AND fx_cap.target = anc.currency_id
        LEFT JOIN ({rates_sql}) fx_min ON fx_min.source = cur.code AND fx_min.target = r.currency_id
        WHERE r.min_deposit IS NULL OR fx_min.rate IS NOT NULL
    """  # noqa: S608 - names from the models, values as parameters


def ledger_sql() -> str:
    """INSERT ... SELECT of one chunk of actions. Params: now, now, status, lo, hi, False."""
    raw = (
        "CASE t.kind WHEN 'CPA' THEN t.rule_amount WHEN 'CPL' THEN t.rule_amount "
        "WHEN 'LOT_REBATE' THEN t.rule_amount * a.lots "
        "WHEN 'REVENUE_SHARE' THEN t.sign * a.amount * t.percent / 100.0 "
        "WHEN 'COMMISSION_SHARE' THEN a.trading_commission * t.percent / 100.0 "
        "ELSE a.spread * t.percent / 100.0 END"
    )
    base = (
        "CASE t.kind WHEN 'CPL' THEN 0 WHEN 'LOT_REBATE' THEN a.lots "
        "WHEN 'COMMISSION_SHARE' THEN a.trading_commission WHEN 'SPREAD_SHARE' THEN a.spread ELSE a.amount END"
    )
    converted = f"({raw}) * t.rate"
    capped = f"CASE WHEN t.cap IS NOT NULL AND {converted} > t.cap THEN t.cap ELSE {converted} END"
    return f"""
        INSERT INTO {table(CommissionLedger)} ({LEDGER_COLUMNS})
        SELECT %s, %s, q.introducer_id, q.referral_id, q.level, q.rule_id, q.action_id, q.kind, q.action_type,
               q.details, q.amount, q.currency_id, q.base_amount, q.base_currency, q.rate, q.occurred_at,
               %s, q.hold_until, '', ''
        FROM (
            SELECT t.introducer_id AS introducer_id, a.customer_id AS referral_id, t.level AS level,
                   t.rule_id AS rule_id, a.id AS action_id, t.kind AS kind, a.action_type AS action_type,
                   a.action_type || ' #' || CAST(a.source_id AS TEXT)
                       || CASE WHEN a.instrument <> '' THEN ' ' || a.instrument ELSE '' END AS details,
                   {round_down(capped)} AS amount, t.currency_id AS currency_id, {base} AS base_amount,
                   CASE WHEN t.kind = 'LOT_REBATE' THEN 'LOTS' WHEN t.kind = 'CPL' THEN '' ELSE a.currency END
                       AS base_currency,
                   t.rate AS rate, a.occurred_at AS occurred_at, {hold_until()} AS hold_until
            FROM {table(ReferralAction)} a
            JOIN {TARGETS} t
                ON t.descendant_id = a.affiliate_id AND t.action_type = a.action_type
                AND t.action_currency = a.currency
            WHERE a.id >= %s AND a.id <= %s AND a.is_processed = %s
              AND {in_list("t.countries", "a.country")}
              AND {in_list("t.instruments", "a.instrument")}
              AND {in_list("t.instrument_groups", "a.instrument_group")}
              AND a.holding_seconds >= t.min_holding_seconds
              AND (t.min_deposit IS NULL OR a.amount * t.rate_min >= t.min_deposit)
        ) q
        WHERE q.amount <> 0
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - names from the models, values as parameters
