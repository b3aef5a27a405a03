"""Named locks for work that has no row to lock yet (a request key nobody has used, the first refresh)."""

from __future__ import annotations

from django.db import connection


def lock_name(name: str) -> None:
    """Wait for, then hold until the transaction ends, the lock called `name` (inside `transaction.atomic`).

    PostgreSQL: a transaction-level advisory lock on the name's hash (two names may share a hash: then they wait
    for each other, which is safe). SQLite allows one writer at a time already: nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
