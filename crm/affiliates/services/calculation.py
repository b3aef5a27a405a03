"""The commission run: referral actions -> commission ledger, for every level of the IB tree, set-based.

One `INSERT ... SELECT` per chunk of actions joins each action to every ancestor of its direct introducer
(closure table), that ancestor's plan level at that distance, and the level's rules of the matching kind,
filters by the rule's limits (countries, instruments, groups, minimum holding time, minimum deposit),
caps it, converts it to the ancestor's currency with the exchange rates of this run, and rounds it down to
the currency's minor units. A second statement claws back commissions of refunded or charged-back
deposits: unpaid ones are rejected, paid ones (or ones in a payout request) get a negative entry the next
payout takes. The unique (rule, action, level, introducer) constraint makes a second run create nothing.

Which rule kinds pay for which action:
    FTD -> CPA; DEPOSIT (+) and WITHDRAWAL (-) -> REVENUE_SHARE (net deposits); LEAD_QUALIFIED -> CPL;
    POSITION_CLOSED -> LOT_REBATE, COMMISSION_SHARE, SPREAD_SHARE.
Level n of a plan pays on actions of clients whose direct introducer is n-1 levels below the affiliate.
Only active affiliates earn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from crm.affiliates.models import (
    Affiliate,
    AffiliateTreePath,
    CommissionLedger,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
    ReferralAction,
)
from crm.core.events import emit
from crm.core.services import record_activity
from crm.wallets.exceptions import NoExchangeRate
from crm.wallets.models import Currency
from crm.wallets.services import current_rate

logger = logging.getLogger(__name__)

Kind = CommissionRule.Kind
ActionType = ReferralAction.Type
KIND_OF_ACTION = [
    (ActionType.FTD, Kind.CPA, 1),
    (ActionType.DEPOSIT, Kind.REVENUE_SHARE, 1),
    (ActionType.WITHDRAWAL, Kind.REVENUE_SHARE, -1),
    (ActionType.LEAD_QUALIFIED, Kind.CPL, 1),
    (ActionType.POSITION_CLOSED, Kind.LOT_REBATE, 1),
    (ActionType.POSITION_CLOSED, Kind.COMMISSION_SHARE, 1),
    (ActionType.POSITION_CLOSED, Kind.SPREAD_SHARE, 1),
]
EARNING_ACTIONS = sorted({action for action, _, _ in KIND_OF_ACTION})
REVERSING_ACTIONS = [ActionType.REFUND, ActionType.CHARGEBACK]
REVERSIBLE_ACTIONS = [ActionType.FTD, ActionType.DEPOSIT, ActionType.WITHDRAWAL]
DEFAULT_CHUNK = 250_000


@dataclass
class RunResult:
    actions: int = 0
    created: int = 0
    clawbacks: int = 0
    rejected: int = 0
    skipped_currencies: list[str] = field(default_factory=list)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _union(rows: list[tuple], columns: tuple[str, ...]) -> tuple[str, list]:
    """A small constant relation as a portable subquery (SELECT ... UNION ALL SELECT ...)."""
    parts, params = [], []
    for row in rows:
        parts.append("SELECT " + ", ".join(f"%s AS {name}" for name in columns))
        params.extend(row)
    return " UNION ALL ".join(parts), params


def exchange_rates(sources: set[str], targets: set[str]) -> tuple[dict[tuple[str, str], Decimal], set[str]]:
    """Every rate this run needs, taken once at calculation time; and the source currencies lacking one."""
    rates, missing = {}, set()
    for source in sorted(sources | targets):
        for target in sorted(targets):
            try:
                rates[(source, target)] = current_rate(source, target)
            except NoExchangeRate:
                missing.add(source)
    return rates, missing & sources


def _currencies_of_run() -> tuple[set[str], set[str]]:
    """(currencies amounts come in: actions and rules; currencies they go to: affiliates and rules)."""
    earning = set(
        ReferralAction.objects.filter(is_processed=False)
        .exclude(currency="")
        .values_list("currency", flat=True)
        .distinct()
    )
    rules = set(CommissionRule.objects.exclude(currency=None).values_list("currency_id", flat=True).distinct())
    affiliates = set(Affiliate.objects.values_list("currency_id", flat=True).distinct())
    return earning | rules, affiliates | rules


def _round_down(expression: str) -> str:
    """Round towards zero to the currency's minor units (commissions are paid out: never a fraction more)."""
    if connection.vendor == "postgresql":
        return f"TRUNC({expression}, c.minor_units)"
    # SQLite has no TRUNC(x, n): scale, drop the float noise, truncate, scale back.
    factor = "CASE c.minor_units " + " ".join(f"WHEN {n} THEN {10**n}" for n in range(19)) + " END"
    return f"(CAST(ROUND(({expression}) * {factor}, 6) AS INTEGER) * 1.0 / {factor})"


def _hold_until() -> str:
    if connection.vendor == "postgresql":
        return "a.occurred_at + m.hold_days * INTERVAL '1 day'"
    # SQLite keeps datetimes as text: shift the date and time, keep the microseconds as they were.
    return (
        "strftime('%%Y-%%m-%%d %%H:%%M:%%S', a.occurred_at, '+' || m.hold_days || ' days') "
        "|| substr(a.occurred_at, 20)"
    )


def _in_list(column: str, value: str) -> str:
    """`column` (a stored "A,B" list) is empty or holds `value`."""
    return f"({column} = '' OR (',' || {column} || ',') LIKE ('%%,' || {value} || ',%%'))"


LEDGER_COLUMNS = (
    "created_at, updated_at, introducer_id, referral_id, level, rule_id, action_id, commission_type, action_type, "
    "action_details, commission_amount, currency_id, base_amount, base_currency, exchange_rate, action_timestamp, "
    "status, hold_until, reject_reason, admin_comments"
)


def commission_sql(*, rates_sql: str, default_model: int | None) -> str:
    """The INSERT ... SELECT of one chunk; params: now, now, kind map, rates, default model, lo, hi, status."""
    fixed = "', '".join(CommissionRule.FIXED_KINDS)
    source_currency = f"CASE WHEN r.kind IN ('{fixed}') THEN r.currency_id ELSE a.currency END"
    raw = (
        "CASE r.kind WHEN 'CPA' THEN r.amount WHEN 'CPL' THEN r.amount "
        "WHEN 'LOT_REBATE' THEN r.amount * a.lots "
        "WHEN 'REVENUE_SHARE' THEN k.sign * a.amount * r.percent / 100.0 "
        "WHEN 'COMMISSION_SHARE' THEN a.trading_commission * r.percent / 100.0 "
        "ELSE a.spread * r.percent / 100.0 END"
    )
    base = (
        "CASE r.kind WHEN 'CPL' THEN 0 WHEN 'LOT_REBATE' THEN a.lots "
        "WHEN 'COMMISSION_SHARE' THEN a.trading_commission WHEN 'SPREAD_SHARE' THEN a.spread ELSE a.amount END"
    )
    converted = f"({raw}) * fx.rate"
    capped = (
        f"CASE WHEN r.cap_amount IS NOT NULL AND {converted} > r.cap_amount * fx_cap.rate "
        f"THEN r.cap_amount * fx_cap.rate ELSE {converted} END"
    )
    default = "%s" if default_model is not None else "NULL"
    # Table names come from the models and every value is a parameter.
    return f"""
        INSERT INTO {_table(CommissionLedger)} ({LEDGER_COLUMNS})
        SELECT %s, %s, q.introducer_id, q.referral_id, q.level, q.rule_id, q.action_id, q.kind, q.action_type,
               q.details, q.amount, q.currency_id, q.base_amount, q.base_currency, q.rate, q.occurred_at,
               %s, q.hold_until, '', ''
        FROM (
            SELECT anc.id AS introducer_id, a.customer_id AS referral_id, p.depth + 1 AS level, r.id AS rule_id,
                   a.id AS action_id, r.kind AS kind, a.action_type AS action_type,
                   a.action_type || ' #' || CAST(a.source_id AS TEXT)
                       || CASE WHEN a.instrument <> '' THEN ' ' || a.instrument ELSE '' END AS details,
                   {_round_down(capped)} AS amount, anc.currency_id AS currency_id,
                   {base} AS base_amount,
                   CASE WHEN r.kind = 'LOT_REBATE' THEN 'LOTS' WHEN r.kind = 'CPL' THEN '' ELSE a.currency END
                       AS base_currency,
                   fx.rate AS rate, a.occurred_at AS occurred_at, {_hold_until()} AS hold_until
            FROM {_table(ReferralAction)} a
            JOIN ({{kinds}}) k ON k.action_type = a.action_type
            JOIN {_table(AffiliateTreePath)} p ON p.descendant_id = a.affiliate_id
            JOIN {_table(Affiliate)} anc ON anc.id = p.ancestor_id AND anc.status = 'active'
            JOIN {_table(CommissionLevel)} l
                ON l.commission_model_id = COALESCE(anc.commission_model_id, {default}) AND l.level = p.depth + 1
            JOIN {_table(CommissionModel)} m ON m.id = l.commission_model_id AND m.is_enabled
            JOIN {_table(CommissionRule)} r ON r.level_id = l.id AND r.kind = k.kind AND r.is_enabled
            JOIN {_table(Currency)} c ON c.code = anc.currency_id
            JOIN ({rates_sql}) fx ON fx.source = {source_currency} AND fx.target = anc.currency_id
            LEFT JOIN ({rates_sql}) fx_cap ON fx_cap.source = r.currency_id AND fx_cap.target = anc.currency_id
            LEFT JOIN ({rates_sql}) fx_min ON fx_min.source = a.currency AND fx_min.target = r.currency_id
            WHERE a.id >= %s AND a.id <= %s AND a.is_processed = %s
              AND {_in_list("r.countries", "a.country")}
              AND {_in_list("r.instruments", "a.instrument")}
              AND {_in_list("r.instrument_groups", "a.instrument_group")}
              AND a.holding_seconds >= r.min_holding_seconds
              AND (r.min_deposit IS NULL OR a.amount * fx_min.rate >= r.min_deposit)
        ) q
        WHERE q.amount <> 0
        ON CONFLICT DO NOTHING
    """  # noqa: S608


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _chunks(chunk: int) -> list[tuple[int, int]]:
    ids = ReferralAction.objects.filter(is_processed=False).order_by("id").values_list("id", flat=True)
    bounds, lo = [], ids.first()
    while lo is not None:
        hi = ids.filter(id__gte=lo)[chunk - 1 : chunk].first() if chunk > 1 else lo
        if hi is None:
            hi = ids.filter(id__gte=lo).order_by("-id").first()
        bounds.append((lo, hi))
        lo = ids.filter(id__gt=hi).first()
    return bounds


def run_commissions(*, chunk: int = DEFAULT_CHUNK, actor=None) -> RunResult:
    """Compute the ledger for every unprocessed action; running it again creates nothing new."""
    result = RunResult()
    rates, missing = exchange_rates(*_currencies_of_run())
    result.skipped_currencies = sorted(missing)
    if missing:
        logger.warning("No exchange rate for %s: their actions wait for the next run.", ", ".join(sorted(missing)))
    rates_sql, rate_params = _union([(s, t, rate) for (s, t), rate in rates.items()], ("source", "target", "rate"))
    if not rates:
        return result
    kinds_sql, kind_params = _union(KIND_OF_ACTION, ("action_type", "kind", "sign"))
    default_model = CommissionModel.objects.filter(is_default=True).values_list("pk", flat=True).first()
    sql = commission_sql(rates_sql=rates_sql, default_model=default_model).replace("{kinds}", kinds_sql)
    for lo, hi in _chunks(chunk):
        with transaction.atomic():
            now = timezone.now()
            params = [now, now, CommissionLedger.Status.PENDING, *kind_params]
            params += [*([default_model] if default_model is not None else []), *rate_params * 3, lo, hi, False]
            result.created += _execute(sql, params)
            rejected, clawbacks = _claw_back(lo, hi, now)
            result.rejected += rejected
            result.clawbacks += clawbacks
            done = ReferralAction.objects.filter(id__gte=lo, id__lte=hi, is_processed=False)
            if missing:
                done = done.exclude(currency__in=missing)
            result.actions += done.update(is_processed=True)
    if result.created or result.clawbacks or result.rejected:
        record_activity(actor=actor, action="affiliates.commissions_calculated", data=result.__dict__)
        emit("affiliates.commissions_calculated", created=result.created, clawbacks=result.clawbacks)
    return result


def _claw_back(lo: int, hi: int, now) -> tuple[int, int]:
    """Refunds and chargebacks of this chunk: reject the unpaid commissions, reverse the paid ones."""
    reversing = ReferralAction.objects.filter(
        id__gte=lo, id__lte=hi, is_processed=False, action_type__in=REVERSING_ACTIONS
    )
    if not reversing.exists():
        return 0, 0
    originals = ReferralAction.objects.filter(
        action_type__in=REVERSIBLE_ACTIONS, source_id__in=reversing.values("reverses_source_id")
    )
    live = CommissionLedger.objects.filter(action__in=originals, reverses__isnull=True).exclude(
        status=CommissionLedger.Status.REJECTED
    )
    rejected = live.filter(
        status__in=[CommissionLedger.Status.PENDING, CommissionLedger.Status.APPROVED], payout_request__isnull=True
    ).update(
        status=CommissionLedger.Status.REJECTED,
        rejected_at=now,
        reject_reason="The deposit was refunded or charged back before payout.",
        updated_at=now,
    )
    ledger, actions = _table(CommissionLedger), _table(ReferralAction)
    sql = f"""
        INSERT INTO {ledger} ({LEDGER_COLUMNS}, reverses_id, approved_at)
        SELECT %s, %s, o.introducer_id, o.referral_id, o.level, o.rule_id, x.id, o.commission_type, x.action_type,
               x.action_type || ' of ' || o.action_details,
               -COALESCE(o.corrected_commission_amount, o.commission_amount), o.currency_id, o.base_amount,
               o.base_currency, o.exchange_rate, x.occurred_at, %s, %s, '', '', o.id, %s
        FROM {actions} x
        JOIN {actions} d ON d.source_id = x.reverses_source_id AND d.action_type IN (%s, %s, %s)
        JOIN {ledger} o ON o.action_id = d.id
        WHERE x.id >= %s AND x.id <= %s AND x.is_processed = %s AND x.action_type IN (%s, %s)
          AND o.reverses_id IS NULL AND o.status <> %s
          AND (o.status = %s OR o.payout_request_id IS NOT NULL)
          AND COALESCE(o.corrected_commission_amount, o.commission_amount) <> 0
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - table names from the models, values as parameters
    params = [now, now, CommissionLedger.Status.APPROVED, now, now, *REVERSIBLE_ACTIONS, lo, hi, False]
    params += [*REVERSING_ACTIONS, CommissionLedger.Status.REJECTED, CommissionLedger.Status.PAIDOUT]
    return rejected, _execute(sql, params)
