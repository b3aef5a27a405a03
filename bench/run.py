"""Run the benchmarks on PostgreSQL: `python bench/run.py` runs every bench/*.py, `python bench/run.py NAME` one.

Each script builds its own data, measures a baseline in the same run, cleans up and prints
`BENCH <name> value=<n><unit> baseline=<n><unit> ratio=<r>` lines (see bench/README.md).
The database is DATABASE_URL, or postgres://postgres@127.0.0.1:5432/crm_bench; it is migrated
first. The scripts run without Redis, except those in NEEDS_REDIS (the live sockets' channel layer), which get
REDIS_URL, or redis://127.0.0.1:6379/15, as BENCH_REDIS_URL. Exits 1 when PostgreSQL (or, for those, Redis) is
unreachable, a script fails, prints no BENCH line or a line that bench/_report.py refuses (malformed, or a ratio
that is not value / baseline).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
NEEDS_REDIS = {"ws_quotes"}  # measured on production's channel layer, which is Redis

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import services  # noqa: E402  (scripts/services.py)

from bench._report import problem  # noqa: E402


def scripts(name: str | None) -> list[Path]:
    found = sorted(p for p in BENCH_DIR.glob("*.py") if p.name != "run.py" and not p.name.startswith("_"))
    if name:
        found = [p for p in found if p.stem == name]
        if not found:
            sys.exit(f"No benchmark named {name!r}; there are: {', '.join(p.stem for p in scripts(None))}")
    return found


def main(argv: list[str]) -> int:
    name = argv[1] if len(argv) > 1 and argv[1] else None
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(f"Benchmarks run on PostgreSQL only; DATABASE_URL is {url.split(':')[0]}.", file=sys.stderr)
        return 1
    os.environ.pop("REQUIRE_SERVICES", None)
    if not services.postgres(url):
        print(
            "PostgreSQL is unreachable: the benchmarks need it. Start it or point DATABASE_URL at one.",
            file=sys.stderr,
        )
        return 1
    selected = scripts(name)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    needing = sorted(p.stem for p in selected if p.stem in NEEDS_REDIS)
    if needing and not services.redis_url(redis_url):
        print(
            f"Redis is unreachable and {', '.join(needing)} cannot run without it. Start it or set REDIS_URL.",
            file=sys.stderr,
        )
        return 1
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("REDIS_URL", None)  # in-process tasks and a local cache: the figures measure the database and code
    if needing:
        env["BENCH_REDIS_URL"] = redis_url
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603

    failures = []
    for script in selected:
        print(f"== {script.stem}", flush=True)
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr[-4000:] if result.returncode else "")
        lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
        bad = [f"{line!r}: {why}" for line in lines if (why := problem(line))]
        for line in bad:
            print(f"bad BENCH line {line}", file=sys.stderr)
        if result.returncode or not lines or bad:
            why = f"exit {result.returncode}" if result.returncode else ("no BENCH line" if not lines else "bad line")
            failures.append(f"{script.stem}: {why}")
        print(f"== {script.stem} took {time.monotonic() - started:.1f}s", flush=True)
    if failures:
        print("Benchmarks failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
