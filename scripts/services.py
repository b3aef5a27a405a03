"""Which of PostgreSQL and Redis are reachable, for `make test`.

services.py postgres URL   prints URL when PostgreSQL answers at it (creating the database), else nothing
services.py redis URL      prints URL when Redis answers, else nothing
services.py report         says which backends the test run will use
"""

import os
import sys
from urllib.parse import urlparse


def postgres(url: str) -> str:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") or "crm"
    admin_url = parsed._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return ""
    return url


def redis_url(url: str) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return ""
    return url


def report() -> None:
    db = os.environ.get("DATABASE_URL") or ""
    broker = os.environ.get("REDIS_URL") or ""
    print(f"Tests run on {'PostgreSQL' if db.startswith('postgres') else 'SQLite (PostgreSQL unreachable)'}", end="")
    print(f" and {'Redis' if broker else 'no Redis (unreachable)'};", end="")
    print(" tests needing what is missing are reported as skipped.")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "postgres":
        print(postgres(sys.argv[2]))
    elif command == "redis":
        print(redis_url(sys.argv[2]))
    else:
        report()
