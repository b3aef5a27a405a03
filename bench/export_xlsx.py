"""XLSX export of ~50k activity rows through the admin changelist export, as an admin user.

Figures, both against a naive export of the same rows and columns measured in the same run
(`list(queryset)`, every row's values held in memory, a normal openpyxl workbook):
- export_xlsx_memory: peak Python memory (tracemalloc) of the streaming export. Below 1 is better;
  the streaming figure stays flat as rows grow, the baseline grows with them.
- export_xlsx_rate: rows written per second. Near or above 1 means streaming costs no speed.
Rounds alternate the variants; the medians are reported. Everything is built in one transaction
that is rolled back, and files go to a temporary folder: nothing is left over.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core.exports import services as exports  # noqa: E402
from crm.core.exports import sources  # noqa: E402
from crm.core.exports.writer import cell_value  # noqa: E402
from crm.core.models import Activity, ExportJob  # noqa: E402
from crm.users.models import User  # noqa: E402

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "50000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ACTION = "bench.export"


class Rollback(Exception):
    pass


def build() -> User:
    """An admin user and ROWS activity rows, with bulk_create."""
    user = User.objects.create(email="bench-export@bench.invalid", is_staff=True, is_superuser=True)
    Activity.objects.bulk_create(
        (
            Activity(
                actor=user,
                actor_repr=user.email,
                channel="admin",
                action=ACTION,
                target_id=str(n),
                target_repr=f"#{n} Bench client {n}",
                ip_address=f"10.0.{n // 250 % 250}.{n % 250 + 1}",
                data={"n": n, "note": "benchmark row"},
            )
            for n in range(ROWS)
        ),
        batch_size=5000,
    )
    return user


def new_job(user: User) -> ExportJob:
    return ExportJob.objects.create(
        owner=user, source=ExportJob.Source.ADMIN, target="core.activity", params={"action": [ACTION]}
    )


def streaming(user: User) -> int:
    """The real export: the admin changelist rebuilt as the user, streamed to a write-only workbook."""
    job = exports.run_export(new_job(user).pk)
    if job is None or job.status != ExportJob.Status.DONE:
        raise RuntimeError(f"The export did not finish: {job and job.error}")
    return job.rows_done


def naive(user: User) -> int:
    """Same changelist, rows and columns, but every object and value held in memory and a normal workbook."""
    selection = sources.admin_selection(new_job(user))
    objects = list(selection.queryset)
    values = [[sources.admin_value(name, obj, selection.model_admin) for name in selection.fields] for obj in objects]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(selection.headers)
    for row in values:
        sheet.append([cell_value(value) for value in row])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
    return len(values)


def measure_rate(func: Callable[[User], int], user: User) -> float:
    start = time.perf_counter()
    rows = func(user)
    return rows / (time.perf_counter() - start)


def measure_memory(func: Callable[[User], int], user: User) -> float:
    tracemalloc.start()
    try:
        func(user)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/export_xlsx.py needs PostgreSQL: set DATABASE_URL (bench/run.py does).")
    with tempfile.TemporaryDirectory() as folder:
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}},
        }
        rates: dict[str, list[float]] = {"streaming": [], "naive": []}
        memory: dict[str, list[float]] = {"streaming": [], "naive": []}
        try:
            with transaction.atomic():
                user = build()
                for _ in range(ROUNDS):
                    for name, func in (("streaming", streaming), ("naive", naive)):
                        rates[name].append(measure_rate(func, user))
                for name, func in (("streaming", streaming), ("naive", naive)):
                    memory[name].append(measure_memory(func, user))
                raise Rollback
        except Rollback:
            pass
    mem_value, mem_base = statistics.median(memory["streaming"]), statistics.median(memory["naive"])
    rate_value, rate_base = statistics.median(rates["streaming"]), statistics.median(rates["naive"])
    print(bench_line("export_xlsx_memory", mem_value, mem_base, "MB", decimals=1))
    print(bench_line("export_xlsx_rate", rate_value, rate_base, "rows/s", decimals=0))


if __name__ == "__main__":
    main()
