"""Which of PostgreSQL and Redis are reachable, for `make test` and `bench/run.py`.

services.py postgres URL   prints URL when PostgreSQL answers at it (creating the database if
                           missing), nothing when it does not; a non-PostgreSQL URL is printed as is
services.py redis URL      prints URL when Redis answers at it, nothing when it does not
services.py report         says which backends the test run uses and what is skipped

Reasons go to stderr. With REQUIRE_SERVICES=1 (CI) an unreachable service exits 1 instead.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse


def _unreachable(what: str, url: str, reason: object) -> str:
    print(f"{what} unreachable at {_safe(url)}: {reason}", file=sys.stderr)
    if os.environ.get("REQUIRE_SERVICES") == "1":
        sys.exit(1)
    return ""


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return parsed.geturl()


def postgres(url: str) -> str:
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return url  # SQLite or another database the caller chose on purpose
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:
        return _unreachable("PostgreSQL", url, exc)
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") or "crm"
    admin_url = parsed._replace(scheme="postgresql", path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return _unreachable("PostgreSQL", url, str(exc).strip().splitlines()[0] if str(exc) else exc)
    return url


def redis_url(url: str) -> str:
    try:
        import redis
    except ImportError as exc:
        return _unreachable("Redis", url, exc)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.RedisError, ValueError) as exc:
        return _unreachable("Redis", url, exc)
    return url


def report() -> None:
    db = os.environ.get("DATABASE_URL") or ""
    broker = os.environ.get("REDIS_URL") or ""
    on_postgres = db.startswith(("postgres", "pgsql"))
    database = f"PostgreSQL ({_safe(db)})" if on_postgres else "SQLite (PostgreSQL unreachable or not chosen)"
    cache = (
        f"Redis ({_safe(broker)})" if broker else "no Redis (unreachable or not chosen): in-process tasks, local cache"
    )
    print(f"Tests run on {database} with {cache}.")
    skipped = [name for name, up in (("postgres", on_postgres), ("redis", bool(broker))) if not up]
    if skipped:
        print(f"Tests marked {' and '.join(skipped)} are SKIPPED; pytest lists each with its reason at the end.")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "report"
    if command == "postgres":
        print(postgres(sys.argv[2]))
    elif command == "redis":
        print(redis_url(sys.argv[2]))
    elif command == "report":
        report()
    else:
        sys.exit(__doc__)
