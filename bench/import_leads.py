"""Lead import throughput: 100,000 generated leads through `manage.py import_leads`, against PostgreSQL COPY.

- import_leads: rows per second of the whole command (count and read the CSV, validate emails, phones,
  countries, check duplicates against leads and clients, route, COPY the leads into `sales_lead` with its
  indexes and foreign keys, one history row and one event per batch, per-batch transactions and progress).
- The baseline is `COPY ... FROM STDIN (FORMAT csv)` of the same file into a bare (logged, unindexed)
  table with the same columns, in the same run, dropped afterwards.
Higher is better; the aim is a ratio of at least 0.2.
Everything the import wrote (leads, history, events, the import with its stored file and report, its user)
is deleted at the end, and the leads table vacuumed, so that runs one after another start from the same table.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core.models import Activity, OutboxEvent  # noqa: E402
from crm.sales.models import Lead, LeadImport  # noqa: E402
from crm.users.models import User  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
BATCH = int(os.environ.get("BENCH_IMPORT_BATCH", "2000"))
DOMAIN = "bench-import.invalid"
COUNTRIES = ["GB", "DE", "FR", "ES", "IT", "PL", "NL", "SE", "AT", "IE"]


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("First name,Last name,Email,Phone,Country,Source,Campaign\n")
        for i in range(ROWS):
            out.write(f"First{i},Last{i},lead{i}@{DOMAIN},+4479{i:08d},{COUNTRIES[i % 10]},bench,spring\n")


def copy_baseline(path: Path) -> float:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare_leads (first_name varchar(150), last_name varchar(150), "
            "email varchar(254), phone varchar(20), country varchar(2), source varchar(100), campaign varchar(255))"
        )
        started = time.perf_counter()
        with (
            cursor.cursor.copy("COPY bench_bare_leads FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_bare_leads")
        assert cursor.fetchone()[0] == ROWS
        cursor.execute("DROP TABLE bench_bare_leads")
    return ROWS / elapsed


def import_rate(path: Path, owner: User) -> float:
    started = time.perf_counter()
    call_command("import_leads", str(path), "--owner", owner.email, "--batch-size", str(BATCH), stdout=io.StringIO())
    elapsed = time.perf_counter() - started
    imported = Lead.objects.filter(email__endswith=f"@{DOMAIN}").count()
    if imported != ROWS:
        raise RuntimeError(f"Imported {imported} of {ROWS} rows")
    return ROWS / elapsed


def clean(owner: User | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM sales_lead WHERE email LIKE %s", [f"%@{DOMAIN}"])
        ids = [str(row[0]) for row in cursor.fetchall()]
    lead_type = ContentType.objects.get_for_model(Lead)
    for start in range(0, len(ids), 20000):
        chunk = ids[start : start + 20000]
        Activity.objects.filter(target_type=lead_type, target_id__in=chunk).delete()
    Lead.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    if owner is not None:
        jobs = list(LeadImport.objects.filter(owner=owner))
        OutboxEvent.objects.filter(name="leads.imported", payload__import_id__in=[job.pk for job in jobs]).delete()
        for job in jobs:
            # The uploaded CSV and the rejected-rows report live in private storage, not in the database.
            for stored in (job.file, job.report):
                if stored:
                    stored.delete(save=False)
            job.delete()
        Activity.objects.filter(actor=owner).delete()
        owner.delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sales_lead")


def main() -> int:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 1
    owner = None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.csv"
        write_csv(path)
        try:
            owner = User.objects.create(email="bench-import@bench.invalid", is_staff=True, is_superuser=True)
            baseline = copy_baseline(path)
            value = import_rate(path, owner)
        finally:
            clean(owner)
    print(bench_line("import_leads", value, baseline, "rows/s", decimals=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
