"""Commission ledger for 1,000,000 closed positions over a 3-level IB tree.

Figure: `commission_ledger`, the time in s `run_commissions()` takes to turn BENCH_POSITIONS stored
`POSITION_CLOSED` actions into ledger records for every level of the tree (a lot rebate at level 1 with a
minimum holding time, a commission share at level 2, a spread share at level 3: 3 records per position
that passes the holding time). The baseline is a single hand-written `INSERT ... SELECT` that writes the
same rows (checked by a fingerprint of every column) into the same table, specialised to this data (one
plan, one currency, positions only). Value and baseline are interleaved, median of BENCH_ROUNDS rounds.
Aim: ratio <= 3. Everything is built in one transaction rolled back at the end.

    BENCH_POSITIONS=100000 python bench/commission_ledger.py   # quick run
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.affiliates.models import (  # noqa: E402
    Affiliate,
    AffiliateTreePath,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
)
from crm.affiliates.services import run_commissions  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.wallets.models import Currency  # noqa: E402

POSITIONS = int(os.environ.get("BENCH_POSITIONS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "20000"))
FAN_OUT = 10  # 10 masters x 10 sub-IBs x 10 sub-sub-IBs
HOLD_DAYS = 14


class _Rollback(Exception):
    pass


def _customers(prefix: str, count: int, **values) -> list[Customer]:
    rows = [Customer(first_name=prefix, email=f"{prefix}{i}@bench.example.com", **values) for i in range(count)]
    return Customer.objects.bulk_create(rows, batch_size=5000)


def build() -> CommissionModel:
    """The plan, a 3-level tree of 1,110 affiliates, CLIENTS clients of the lowest level, POSITIONS positions."""
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    plan = CommissionModel.objects.create(name="Bench plan", hold_days=HOLD_DAYS)
    levels = [CommissionLevel.objects.create(commission_model=plan, level=n) for n in (1, 2, 3)]
    kind = CommissionRule.Kind
    CommissionRule.objects.create(
        level=levels[0], kind=kind.LOT_REBATE, amount=Decimal("5"), currency_id="USD", min_holding_seconds=60
    )
    CommissionRule.objects.create(level=levels[1], kind=kind.COMMISSION_SHARE, percent=Decimal("50"))
    CommissionRule.objects.create(level=levels[2], kind=kind.SPREAD_SHARE, percent=Decimal("10"))

    parents: list[Affiliate | None] = [None]
    for depth in range(3):
        count = FAN_OUT ** (depth + 1)
        customers = _customers(f"ib{depth}-", count)
        rows = [
            Affiliate(
                customer=customer,
                parent=parents[i // FAN_OUT] if depth else None,
                depth=depth,
                status=Affiliate.Status.ACTIVE,
                currency_id="USD",
                commission_model=plan,
            )
            for i, customer in enumerate(customers)
        ]
        parents = Affiliate.objects.bulk_create(rows, batch_size=5000)
        paths = []
        for affiliate in parents:
            node, up = affiliate, 0
            while node is not None:
                paths.append(AffiliateTreePath(ancestor_id=node.pk, descendant_id=affiliate.pk, depth=up))
                node, up = node.parent, up + 1
        AffiliateTreePath.objects.bulk_create(paths, batch_size=5000)
    lowest = parents
    clients = _customers("client-", CLIENTS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_clients (idx int PRIMARY KEY, customer_id bigint, affiliate_id bigint)"
        )
        cursor.executemany(
            "INSERT INTO bench_clients VALUES (%s, %s, %s)",
            [(i, c.pk, lowest[i % len(lowest)].pk) for i, c in enumerate(clients)],
        )
        # Positions: instruments, lots, commission and spread vary; about 1 in 120 is held under a minute.
        cursor.execute(
            """
            INSERT INTO affiliates_referralaction (action_type, source_id, affiliate_id, customer_id, country, amount,
                currency, instrument, instrument_group, lots, trading_commission, spread, holding_seconds,
                occurred_at, is_processed, created_at)
            SELECT 'POSITION_CLOSED', g, c.affiliate_id, c.customer_id, 'GB', 0, 'USD',
                   (ARRAY['EURUSD', 'GBPUSD', 'XAUUSD', 'US30'])[g %% 4 + 1],
                   (ARRAY['FX', 'FX', 'METALS', 'INDICES'])[g %% 4 + 1],
                   ((g %% 50) + 1) / 10.0, (g %% 7) + 1, ((g %% 13) + 1) * 1.37, (g * 37) %% 7200,
                   now() - (g %% 100000) * interval '1 second', false, now()
            FROM generate_series(1, %s) g JOIN bench_clients c ON c.idx = g %% %s
            """,
            [POSITIONS, CLIENTS],
        )
    return plan


BASELINE = """
    INSERT INTO affiliates_commissionledger (created_at, updated_at, introducer_id, referral_id, level, rule_id,
        action_id, commission_type, action_type, action_details, commission_amount, currency_id, base_amount,
        base_currency, exchange_rate, action_timestamp, status, hold_until, reject_reason, admin_comments)
    SELECT %s, %s, p.ancestor_id, a.customer_id, p.depth + 1, r.id, a.id, r.kind, a.action_type,
           a.action_type || ' #' || CAST(a.source_id AS TEXT) || ' ' || a.instrument,
           TRUNC(CASE r.kind WHEN 'LOT_REBATE' THEN r.amount * a.lots
                             WHEN 'COMMISSION_SHARE' THEN a.trading_commission * r.percent / 100.0
                             ELSE a.spread * r.percent / 100.0 END, 2),
           'USD',
           CASE r.kind WHEN 'LOT_REBATE' THEN a.lots WHEN 'COMMISSION_SHARE' THEN a.trading_commission
                       ELSE a.spread END,
           CASE WHEN r.kind = 'LOT_REBATE' THEN 'LOTS' ELSE a.currency END,
           1, a.occurred_at, 'PENDING', a.occurred_at + %s * INTERVAL '1 day', '', ''
    FROM affiliates_referralaction a
    JOIN affiliates_affiliatetreepath p ON p.descendant_id = a.affiliate_id
    JOIN affiliates_commissionlevel l ON l.commission_model_id = %s AND l.level = p.depth + 1
    JOIN affiliates_commissionrule r ON r.level_id = l.id
    WHERE a.action_type = 'POSITION_CLOSED' AND a.holding_seconds >= r.min_holding_seconds
"""

FINGERPRINT = """
    SELECT count(*), sum(hashtext(concat_ws('|', introducer_id, referral_id, level, rule_id, action_id,
        commission_type, action_type, action_details, commission_amount, currency_id, base_amount, base_currency,
        exchange_rate::numeric(28, 12), action_timestamp, status, hold_until))::bigint)
    FROM affiliates_commissionledger
"""


def _reset() -> None:
    with connection.cursor() as cursor:
        # Deferred foreign-key checks must run before a TRUNCATE inside the transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE affiliates_commissionledger")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("UPDATE affiliates_referralaction SET is_processed = false")
        for table in ("affiliates_referralaction", "affiliates_affiliatetreepath", "affiliates_affiliate"):
            cursor.execute(f"ANALYZE {table}")


def _fingerprint() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT)
        return cursor.fetchone()


def time_engine() -> tuple[float, tuple]:
    _reset()
    started = time.perf_counter()
    run_commissions()
    elapsed = time.perf_counter() - started
    return elapsed, _fingerprint()


def time_baseline(plan: CommissionModel) -> tuple[float, tuple]:
    _reset()
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BASELINE, [now, now, HOLD_DAYS, plan.pk])
    elapsed = time.perf_counter() - started
    return elapsed, _fingerprint()


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("commission_ledger needs PostgreSQL (DATABASE_URL)")
    engine_times, baseline_times = [], []
    try:
        with transaction.atomic():
            plan = build()
            for _ in range(ROUNDS):
                base_time, expected = time_baseline(plan)
                engine_time, produced = time_engine()
                if produced != expected:
                    raise SystemExit(f"the engine wrote other rows than the baseline: {produced} != {expected}")
                baseline_times.append(base_time)
                engine_times.append(engine_time)
                print(f"round: engine {engine_time:.2f}s, INSERT ... SELECT {base_time:.2f}s, rows {produced[0]}")
            raise _Rollback
    except _Rollback:
        pass
    value, baseline = statistics.median(engine_times), statistics.median(baseline_times)
    print(bench_line("commission_ledger", value, baseline, "s", decimals=3))


if __name__ == "__main__":
    main()
