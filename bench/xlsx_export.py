"""A report run's XLSX export of 1,000,000 transactions against bare openpyxl write-only over the same rows.

- xlsx_export: seconds for `run_report` to build the transactions report of the period (the job: claim, count,
  stream the rows through the export writer with the one formula-escaping rule, save the file, progress).
- xlsx_export_memory: its peak Python memory (tracemalloc) against the bare loop's: flat means close to 1,
  whatever the row count, since both stream rows and openpyxl write-only keeps one row in memory.
The baseline is openpyxl write-only appending the same `values_list` rows, read with the same iterator, to a
temporary file. Aim: ratio <= 1.3 for time. Rows are built with INSERT ... SELECT inside a transaction that is
rolled back; the report file is deleted. `BENCH_EXPORT_ROWS` sets the transactions.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from bench._bulk import insert_series  # noqa: E402
from bench._report import bench_line  # noqa: E402
from crm.core.roles import Role  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.reports import services  # noqa: E402
from crm.reports.models import ReportRun  # noqa: E402
from crm.reports.periods import Period  # noqa: E402
from crm.reports.scope import scope_for  # noqa: E402
from crm.reports.sources import TRANSACTIONS  # noqa: E402
from crm.users.models import User  # noqa: E402
from crm.wallets.models import Currency, Transaction, Wallet  # noqa: E402

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


class _Rollback(Exception):
    pass


def build() -> User:
    owner = User.objects.create(email="bench-xlsx-finance@bench.invalid", is_staff=True)
    owner.groups.add(Group.objects.get(name=Role.FINANCE))
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    client = Customer.objects.create(first_name="Bench", last_name="=1+1", email="bench-xlsx@bench.invalid")
    wallet = Wallet.objects.create(customer=client, number="BENCHX1", currency_id="USD")
    insert_series(
        Transaction,
        ROWS,
        {
            "type": "(ARRAY['DEPOSIT','WITHDRAWAL','BONUS'])[1 + i %% 3]",
            "status": "'completed'",
            "customer_id": str(client.pk),
            "wallet_id": str(wallet.pk),
            "currency_id": "'USD'",
            "amount": "10 + (i %% 990)",
            "comment": "CASE WHEN i %% 7 = 0 THEN '=HYPERLINK(\"x\")' ELSE 'note ' || i END",
            "created_at": "now() - (i %% 20 || ' days')::interval",
            "updated_at": "now()",
            "approvals_required": "1",
        },
    )
    return owner


def job(owner: User, params: dict[str, str]) -> float:
    run = ReportRun.objects.create(owner=owner, kind="transactions", params=params)
    started = time.perf_counter()
    services.run_report(run.pk)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    if run.status != ReportRun.Status.DONE or run.rows_total != ROWS:
        raise RuntimeError(f"The run ended {run.status} with {run.rows_total} rows: {run.error}")
    run.file.delete(save=False)
    return elapsed


def bare(owner: User, params: dict[str, str]) -> float:
    period = Period(first=dt.date.fromisoformat(params["start"]), last=dt.date.fromisoformat(params["end"]))
    started = time.perf_counter()
    queryset = TRANSACTIONS.queryset(scope_for(owner), period, params)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Transactions")
    sheet.append(TRANSACTIONS.headers)
    for row in queryset.values_list(*TRANSACTIONS.keys).iterator(chunk_size=2000):
        sheet.append([value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value for value in row])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
    return time.perf_counter() - started


def peak_mb(work: object, *args: object) -> float:
    tracemalloc.start()
    work(*args)  # type: ignore[operator]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024 / 1024


def main() -> int:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 1
    today = timezone.localdate()
    params = services.clean_params("transactions", {"start": str(today - dt.timedelta(days=30)), "end": str(today)})
    try:
        with transaction.atomic():
            owner = build()
            values, baselines = [], []
            for _ in range(ROUNDS):
                values.append(job(owner, params))
                baselines.append(bare(owner, params))
            memory = peak_mb(job, owner, params), peak_mb(bare, owner, params)
            raise _Rollback
    except _Rollback:
        pass
    print(bench_line("xlsx_export", statistics.median(values), statistics.median(baselines), "s"))
    print(bench_line("xlsx_export_memory", memory[0], memory[1], "MB"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
