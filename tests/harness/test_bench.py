"""The benchmarks' contract: `BENCH <name> value=<n><unit> baseline=<n><unit> ratio=<n>` lines whose ratio is
value / baseline, and no data left behind.

The line check is bench/_report.py's, the one bench/run.py applies. The smoke test runs bench/run.py over every
script at a tiny size (the BENCH_* knobs) on the test database, which is migrated and otherwise idle, and Redis (the
live sockets' bench), and compares the row count of every table before and after.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from bench._report import LINE, bench_line, problem

BENCH_DIR = Path(settings.BASE_DIR) / "bench"
SCRIPTS = sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem != "run" and not p.stem.startswith("_"))
TINY = {
    "BENCH_ROUNDS": "1",
    "BENCH_CLIENTS": "200",
    "BENCH_POSITIONS": "200",
    "BENCH_EXPORT_ROWS": "100",
    "BENCH_IMPORT_ROWS": "100",
    "BENCH_LEADS": "500",
    "BENCH_WALLETS": "40",
    "BENCH_SECONDS": "0.2",
    "BENCH_TICK_BATCHES": "2",
    "BENCH_ORDERS": "5",
    "BENCH_SUBSCRIBERS": "5",
    "BENCH_QUOTES": "5",
}


@pytest.mark.parametrize(
    "line",
    [
        "BENCH import_leads value=8891rows/s baseline=225662rows/s ratio=0.0394",
        "BENCH customers_api_queries value=4q baseline=4q ratio=1.000",
        "BENCH commission_ledger value=0.2273s baseline=0.06053s ratio=3.755",
        "BENCH export_xlsx_memory value=0.3747MB baseline=1.023MB ratio=0.366",
        "BENCH leads_changelist value=223.8ms baseline=3.085ms ratio=72.545",
        "BENCH ledger_transfers value=40.00transfers/s baseline=126.7transfers/s ratio=0.316",
    ],
)
def test_well_formed_lines_pass(line):
    assert LINE.match(line)
    assert problem(line) is None


@pytest.mark.parametrize(
    ("line", "_case"),
    [
        ("BENCH x value=12ms baseline=10ms", "no ratio"),
        ("BENCH x value=12ms baseline=10s ratio=1.2", "units differ"),
        ("BENCH x value=ms baseline=10ms ratio=1.2", "no number"),
        ("BENCH x value=-ms baseline=10ms ratio=1.2", "a sign alone"),
        ("BENCH x value=1.2.3ms baseline=10ms ratio=0.12", "two decimal points"),
        ("BENCH x value=1e3ms baseline=10ms ratio=100", "exponent"),
        ("BENCH x value=12ms baseline=10ms ratio=1.2 extra", "trailing text"),
        ("BENCH x  value=12ms baseline=10ms ratio=1.2", "double space"),
        ("bench x value=12ms baseline=10ms ratio=1.2", "lower-case tag"),
        ("BENCH x value=12ms baseline=10ms ratio=1.2ms", "unit on the ratio"),
        ("BENCH x value=12ms baseline=10ms ratio=", "empty ratio"),
        ("BENCH  value=12ms baseline=10ms ratio=1.2", "no name"),
    ],
)
def test_malformed_lines_are_refused(line, _case):
    assert LINE.match(line) is None
    assert problem(line).startswith("not of the form")


@pytest.mark.parametrize(
    ("line", "_case"),
    [
        ("BENCH x value=12.0ms baseline=10.0ms ratio=1.300", "wrong ratio"),
        ("BENCH x value=0.4MB baseline=1.0MB ratio=0.365", "ratio of unrounded numbers"),
        ("BENCH x value=12ms baseline=0ms ratio=1.2", "zero baseline"),
    ],
)
def test_lines_whose_ratio_is_not_value_over_baseline_are_refused(line, _case):
    assert LINE.match(line)
    assert problem(line) is not None


@pytest.mark.parametrize(
    ("value", "baseline", "unit", "options"),
    [
        (355.2345, 163.7, "ms", {"decimals": 2}),
        (0.37469, 1.02251, "MB", {}),
        (148.66, 2762.3, "rows/s", {"decimals": 0}),
        (4, 4, "q", {"decimals": 0, "significant": 1}),
        (0.0004, 3.0, "s", {"decimals": 3}),
        (123456.7, 0.5, "ms", {}),
    ],
)
def test_bench_line_prints_a_ratio_a_reader_can_recompute(value, baseline, unit, options):
    line = bench_line("figure", value, baseline, unit, **options)

    assert problem(line) is None
    match = LINE.match(line)
    assert match["unit"] == unit
    assert float(match["value"]) == pytest.approx(value, rel=1e-3)
    assert float(match["baseline"]) == pytest.approx(baseline, rel=1e-3)


def test_bench_line_refuses_a_zero_baseline():
    with pytest.raises(ValueError, match="positive baseline"):
        bench_line("figure", 1.0, 0.0, "s", decimals=3)


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (catalogue names)
            counts[table] = cursor.fetchone()[0]
    return counts


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.redis  # ws_quotes measures the live sockets on production's channel layer
@pytest.mark.django_db(transaction=True)  # no open transaction here: the scripts lock and truncate tables
def test_every_benchmark_prints_well_formed_lines_at_a_tiny_size_and_leaves_nothing_behind(tmp_path):
    media = tmp_path / "media"
    env = {**os.environ, **TINY, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(media)}
    before = row_counts()

    result = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, str(BENCH_DIR / "run.py")],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # every script at its tiny size; a few minutes on a loaded 2-core machine
        check=False,
    )

    output = f"{result.stdout}\n{result.stderr[-4000:]}"
    assert result.returncode == 0, output
    ran = re.findall(r"^== (\w+) took", result.stdout, flags=re.MULTILINE)
    assert ran == SCRIPTS, output
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    assert {line: problem(line) for line in lines} == dict.fromkeys(lines), output
    assert len(lines) >= len(SCRIPTS)
    after = row_counts()
    assert {t: (before.get(t), n) for t, n in after.items() if n != before.get(t)} == {}
    assert [str(p) for p in media.rglob("*") if p.is_file()] == []
