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
    POSITION_CLOSED -> LOT_REBATE, COMMISSION_SHARE, SPREAD_SHARE; SPOT_TRADE (a spot fill: no spread, held
    0 seconds) -> LOT_REBATE, COMMISSION_SHARE.
Level n of a plan pays on actions of clients whose direct introducer is n-1 levels below the affiliate.
Only active affiliates earn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.db import connection, transaction
from django.utils import timezone

from crm.affiliates.models import Affiliate, CommissionLedger, CommissionModel, CommissionRule, ReferralAction
from crm.affiliates.services.commission_sql import LEDGER_COLUMNS, TARGETS, ledger_sql, table, targets_sql, union
from crm.core.events import emit
from crm.core.services import record_activity
from crm.wallets.exceptions import NoExchangeRate
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
    (ActionType.SPOT_TRADE, Kind.LOT_REBATE, 1),
    (ActionType.SPOT_TRADE, Kind.COMMISSION_SHARE, 1),
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
        .order_by()
        .values_list("currency", flat=True)
        .distinct()
    )
    rules = set(
        CommissionRule.objects.exclude(currency=None).order_by().values_list("currency_id", flat=True).distinct()
    )
    affiliates = set(Affiliate.objects.order_by().values_list("currency_id", flat=True).distinct())
    return earning | rules, affiliates | rules


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _chunks(chunk: int) -> list[tuple[int, int]]:
    ids = ReferralAction.objects.filter(is_processed=False).order_by("id").values_list("id", flat=True)
    bounds: list[tuple[int, int]] = []
    lo = ids.first()
    while lo is not None:
        hi = ids.filter(id__gte=lo)[chunk - 1 : chunk].first() if chunk > 1 else lo
        if hi is None:
            hi = ids.filter(id__gte=lo).order_by("-id").first()
        bounds.append((lo, cast(int, hi)))
        lo = ids.filter(id__gt=hi).first()
    return bounds


def _build_targets(rates: dict, currencies: set[str]) -> None:
    kinds_sql, kind_params = union(KIND_OF_ACTION, ("action_type", "kind", "sign"))
    currencies_sql, currency_params = union([(code,) for code in sorted(currencies | {""})], ("code",))
    rates_sql, rate_params = union([(s, t, rate) for (s, t), rate in rates.items()], ("source", "target", "rate"))
    default_model = CommissionModel.objects.filter(is_default=True).values_list("pk", flat=True).first()
    sql = targets_sql(
        kinds_sql=kinds_sql, currencies_sql=currencies_sql, rates_sql=rates_sql, has_default=default_model is not None
    )
    params = [*([default_model] if default_model is not None else []), *kind_params, *currency_params]
    _execute(f"DROP TABLE IF EXISTS {TARGETS}", [])
    _execute(sql, [*params, *rate_params * 3])
    _execute(f"CREATE INDEX {TARGETS}_idx ON {TARGETS} (descendant_id, action_type, action_currency)", [])
    _execute(f"ANALYZE {TARGETS}", [])


def run_commissions(*, chunk: int = DEFAULT_CHUNK, actor=None) -> RunResult:
    """Compute the ledger for every unprocessed action; running it again creates nothing new."""
    result = RunResult()
    sources, targets = _currencies_of_run()
    rates, missing = exchange_rates(sources, targets)
    result.skipped_currencies = sorted(missing)
    if missing:
        logger.warning("No exchange rate for %s: their actions wait for the next run.", ", ".join(sorted(missing)))
    bounds = _chunks(chunk)
    if not rates or not bounds:
        return result
    try:
        _build_targets(rates, sources)
        sql = ledger_sql()
        for lo, hi in bounds:
            with transaction.atomic():
                now = timezone.now()
                result.created += _execute(sql, [now, now, CommissionLedger.Status.PENDING, lo, hi, False])
                rejected, clawbacks = _claw_back(lo, hi, now)
                result.rejected += rejected
                result.clawbacks += clawbacks
                done = ReferralAction.objects.filter(id__gte=lo, id__lte=hi, is_processed=False)
                if missing:
                    done = done.exclude(currency__in=missing)
                result.actions += done.update(is_processed=True)
    finally:
        _execute(f"DROP TABLE IF EXISTS {TARGETS}", [])
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
    ledger, actions = table(CommissionLedger), table(ReferralAction)
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
