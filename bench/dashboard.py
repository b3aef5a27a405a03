"""The admin dashboard for a year at 1,000,000 clients and 5,000,000 transactions, against its bare aggregate SQL.

As an Admin (everything in scope), the admin home with `?start=&end=` covering the last 365 days, through
Django's test client, median of several requests: the KPI cards and the period dashboard (registrations, first
deposits, log-ins, leads, money per currency, series per day, breakdowns). The page reads the daily rollups of
clients and money (crm.reports.rollups, refreshed once after the rows are built, as the beat task would) plus the
raw rows of today. Figures:

- `dashboard`: the page against the aggregate SQL it runs on the tables it reads (rollups and data tables, captured
  from the request), executed alone on the same connection: what the page would cost if Django, the admin and the
  templates were free. Aims: under 1 s, ratio <= 2.
- `dashboard_vs_raw`: the same page against the aggregate SQL the page runs without rollups (captured before the
  first refresh), executed alone: what reading the raw tables alone would cost.

The rows are built with INSERT ... SELECT inside a transaction that is rolled back. `BENCH_CLIENTS` sets the
clients (transactions: 5x).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._bulk import insert_series  # noqa: E402
from bench._report import bench_line  # noqa: E402
from crm.core.roles import Role  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.reports import rollups  # noqa: E402
from crm.users.models import User  # noqa: E402
from crm.wallets.models import Currency, Transaction, Wallet  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000000"))
TRANSACTIONS = 5 * CLIENTS
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
# Every table a figure of the page aggregates: the data tables (trading and messages too) and the rollups.
DATA_TABLES = (
    "customers_customer",
    "wallets_transaction",
    "sales_lead",
    "users_loginrecord",
    "affiliates_",
    "trading_deal",
    "communications_message",
    "reports_clientday",
    "reports_moneyday",
    "reports_rollup",
)


class _Rollback(Exception):
    pass


def build() -> User:
    agents = User.objects.bulk_create(
        User(email=f"bench-dash-agent{i}@bench.invalid", first_name="Agent", is_staff=True) for i in range(50)
    )
    admin = User.objects.create(email="bench-dash-admin@bench.invalid", is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN))
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    agent_ids = [agent.pk for agent in agents]
    insert_series(
        Customer,
        CLIENTS,
        {
            "first_name": "'Bench'",
            "last_name": "'Client' || i",
            "email": "'bench-dash' || i || '@bench.invalid'",
            "country": "(ARRAY['GB','DE','FR','ES','IT','PL','NL','SE','AT','IE'])[1 + i %% 10]",
            "source": "(ARRAY['google','facebook','affiliate','web'])[1 + i %% 4]",
            "currency": "'USD'",
            "language": "'en'",
            "status": "'active'",
            "kyc_status": "'not_started'",
            "risk_status": "'low'",
            "conversion_agent_id": "(%s::int[])[1 + i %% 50]",
            "registered_at": "now() - ((i %% 730) || ' days')::interval - (i %% 86400 || ' seconds')::interval",
            "first_deposit_at": "CASE WHEN i %% 3 = 0 THEN now() - ((i %% 700) || ' days')::interval END",
            "deposit_count": "0",
        },
        [agent_ids],
    )
    first_client = Customer.objects.filter(email="bench-dash1@bench.invalid").values_list("pk", flat=True).get()
    insert_series(
        Wallet,
        1000,
        {
            "customer_id": f"{first_client} + i - 1",
            "number": "'BENCHD' || i",
            "currency_id": "'USD'",
            "type": "'personal'",
        },
    )
    first_wallet = Wallet.objects.filter(number="BENCHD1").values_list("pk", flat=True).get()
    insert_series(
        Transaction,
        TRANSACTIONS,
        {
            "type": "(ARRAY['DEPOSIT','DEPOSIT','WITHDRAWAL','BONUS','WALLET_TRANSFER'])[1 + i %% 5]",
            "status": "(ARRAY['completed','completed','approved','pending','rejected'])[1 + (i / 5) %% 5]",
            "customer_id": f"{first_client} + (i %% {CLIENTS})",
            "wallet_id": f"{first_wallet} + (i %% 1000)",
            "currency_id": "'USD'",
            "amount": "10 + (i %% 990)",
            "created_at": "now() - ((i %% 730) || ' days')::interval - (i %% 86400 || ' seconds')::interval",
            "updated_at": "now()",
            "approvals_required": "1",
        },
    )
    return admin


def timed_page(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or "data-figure" not in response.content.decode():
        raise RuntimeError(f"{url} answered {response.status_code} without the period dashboard")
    return elapsed


def data_sql(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return [q["sql"] for q in queries.captured_queries if any(table in q["sql"] for table in DATA_TABLES)]


def timed_sql(statements: list[str]) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 1
    today = timezone.localdate()
    url = f"{reverse('admin:index')}?start={today - dt.timedelta(days=364)}&end={today}"
    try:
        with transaction.atomic():
            admin = build()
            client = Client()
            client.force_login(admin)
            raw_statements = data_sql(client, url)  # before any refresh: the page reads the raw tables only
            started = time.perf_counter()
            rollup_rows = rollups.refresh()
            refresh_seconds = time.perf_counter() - started
            statements = data_sql(client, url)  # also warms caches
            values, baselines, raw_baselines = [], [], []
            for _ in range(ROUNDS):
                values.append(timed_page(client, url))
                baselines.append(timed_sql(statements))
                raw_baselines.append(timed_sql(raw_statements))
            raise _Rollback
    except _Rollback:
        pass
    print(f"dashboard rollups: first refresh wrote {rollup_rows} rows in {refresh_seconds:.1f} s")
    print(bench_line("dashboard", statistics.median(values), statistics.median(baselines), "ms"))
    print(bench_line("dashboard_vs_raw", statistics.median(values), statistics.median(raw_baselines), "ms"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
