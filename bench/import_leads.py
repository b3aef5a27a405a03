"""Lead import throughput: 100,000 generated leads through `manage.py import_leads`, against the limits.

The value of every line is the rows per second of the whole command (count and read the CSV, validate
emails, phones, countries, check duplicates against leads and clients, route, COPY the leads into
`sales_lead` with its indexes and foreign keys, one history row and one event per batch, per-batch
transactions and progress; the events' dispatch, a worker's job, is left out as in `ledger_transfers`).
Higher is better. Baselines, measured in the same run on the same rows:
- import_leads: a COPY of the same leads, every column as the import writes it (their import's id too),
  formatted beforehand, into `sales_lead` itself with every index it has, committed (the deferred checks
  of its foreign keys run, as for any insert that stays), then deleted and the table vacuumed: the
  physical limit of this table. Aim: ratio >= 0.5. (It was rolled back, which skipped those checks,
  about a quarter of the COPY's time, and left the import id NULL: a limit no import could reach.)
- import_leads_vs_rolled_back: against that earlier baseline, measured in the same run, kept to compare
  with the figures recorded before the change.
- import_leads_vs_bare: `COPY ... FROM STDIN (FORMAT csv)` of the file into a bare (logged, unindexed) table
  with the file's columns, dropped afterwards.
- import_leads_vs_import_export: the first BENCH_IMPORT_EXPORT_ROWS rows (default 2,000) of the same file
  imported with django-import-export, the library a Django shop would otherwise use, configured for speed
  (bulk inserts, no diff) but validating its rows (`clean_model_instances`, as an import of people's
  data must), in a transaction rolled back. Aim: ratio >= 10.
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
from django.utils import timezone  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core import work  # noqa: E402
from crm.core.models import Activity, OutboxEvent  # noqa: E402
from crm.sales.models import Lead, LeadImport  # noqa: E402
from crm.users.models import User  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
BATCH = int(os.environ.get("BENCH_IMPORT_BATCH", "2000"))
IMPORT_EXPORT_ROWS = min(ROWS, int(os.environ.get("BENCH_IMPORT_EXPORT_ROWS", "2000")))
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


class _Rollback(Exception):
    pass


def copy_into_leads(lead_import: LeadImport | None) -> float:
    """Rows/s of one COPY of the leads the import writes (every column but the id) into `sales_lead`, committed
    (timed to the end of the commit, where the foreign keys are checked), then deleted; without `lead_import`,
    the earlier baseline: the import id left NULL and the COPY rolled back."""
    now = timezone.now().isoformat()
    given = {"email", "phone", "first_name", "last_name", "country", "source", "campaign", "lead_import"}
    columns = [f for f in Lead._meta.concrete_fields if not f.primary_key]

    def text(value) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value)

    def rows():
        for i in range(ROWS):
            values = {
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f"lead{i}@{DOMAIN}",
                "phone": f"+4479{i:08d}",
                "country": COUNTRIES[i % 10],
                "source": "bench",
                "campaign": "spring",
                "lead_import": str(lead_import.pk) if lead_import else "\\N",
            }
            cells = []
            for field in columns:
                if field.name in given:
                    cells.append(values[field.name])
                elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    cells.append(now)
                else:
                    cells.append(text(field.get_default()))
            yield "\t".join(cells) + "\n"

    data = "".join(rows()).encode()
    statement = f"COPY sales_lead ({', '.join(f.column for f in columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        try:
            started = time.perf_counter()
            with transaction.atomic():
                with cursor.cursor.copy(statement) as copy:
                    for start in range(0, len(data), 1 << 20):
                        copy.write(data[start : start + (1 << 20)])
                if lead_import is None:
                    elapsed = time.perf_counter() - started
                    raise _Rollback
            elapsed = time.perf_counter() - started
            cursor.execute("DELETE FROM sales_lead WHERE lead_import_id = %s", [lead_import.pk])
            assert cursor.rowcount == ROWS
        except _Rollback:
            pass
        cursor.execute("VACUUM sales_lead")  # the removed rows' index entries, before the import runs
    return ROWS / elapsed


def import_export_rate(path: Path) -> float:
    """Rows/s of django-import-export on the first IMPORT_EXPORT_ROWS rows of the file, rolled back."""
    import tablib
    from import_export import fields, resources

    def column(attribute: str, header: str):
        return fields.Field(attribute=attribute, column_name=header)

    class LeadResource(resources.ModelResource):
        first_name = column("first_name", "First name")
        last_name = column("last_name", "Last name")
        email = column("email", "Email")
        phone = column("phone", "Phone")
        country = column("country", "Country")
        source = column("source", "Source")
        campaign = column("campaign", "Campaign")

        class Meta:
            model = Lead
            fields = ("first_name", "last_name", "email", "phone", "country", "source", "campaign")
            import_id_fields = []  # every row is a new lead
            use_bulk = True
            batch_size = BATCH
            skip_diff = True
            clean_model_instances = True

    with path.open(encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(IMPORT_EXPORT_ROWS + 1)]
    text = lines[0] + "".join(line.replace("lead", "ie-lead", 1) for line in lines[1:])
    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            result = LeadResource().import_data(tablib.Dataset().load(text, format="csv"), raise_errors=True)
            elapsed = time.perf_counter() - started
            if result.has_errors() or result.has_validation_errors() or result.totals["new"] != IMPORT_EXPORT_ROWS:
                raise RuntimeError(f"django-import-export imported {result.totals}")
            raise _Rollback
    except _Rollback:
        pass
    return IMPORT_EXPORT_ROWS / elapsed


def import_rate(path: Path, owner: User) -> float:
    # No broker: dispatching the batches' events is a worker's job, as in bench/ledger_transfers.py (the import
    # still writes its outbox rows, which are counted).
    work.send = lambda kind, pk: True
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
            bare = copy_baseline(path)
            baseline_job = LeadImport.objects.create(owner=owner, original_name="baseline.csv", mapping={})
            leads_table = copy_into_leads(baseline_job)
            rolled_back = copy_into_leads(None)
            value = import_rate(path, owner)
            import_export = import_export_rate(path)
        finally:
            clean(owner)
    print(bench_line("import_leads", value, leads_table, "rows/s", decimals=0))
    print(bench_line("import_leads_vs_rolled_back", value, rolled_back, "rows/s", decimals=0))
    print(bench_line("import_leads_vs_bare", value, bare, "rows/s", decimals=0))
    print(bench_line("import_leads_vs_import_export", value, import_export, "rows/s", decimals=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
