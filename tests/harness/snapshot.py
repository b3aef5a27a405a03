"""The database state a refused request must leave as it was, over every table of the project.

On PostgreSQL the snapshot is the current transaction's write counters of every table
(`pg_stat_xact_user_tables`: rows inserted, updated, deleted): one cheap query, and stricter than comparing
contents, since an update writing back the same values counts too. Elsewhere (SQLite) each table's rows are
read in primary key order and hashed. Either way an insert, a delete or an update of any row of any table
shows up, whether or not it touches an `updated_at`; the activity log and the outbox are tables like the
others.

What authentication itself writes while refusing is left out, each with the reason: tables with excluded
columns are compared by content, without those columns, on every database.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.apps import apps
from django.db import connection

# Tables the request cycle writes whoever the caller is, not the endpoint.
EXCLUDED_MODELS = {
    "sessions.session": "the harness logs staff callers in with a session before the request",
}
# Columns authentication stamps on a credential it accepts, before any permission or scoping check runs.
EXCLUDED_FIELDS = {
    "users.apitoken": {
        "last_used_at": "authenticate_api_token records each use of a valid token (at most once a minute)",
        "last_used_ip": "written with last_used_at",
    },
    "affiliates.affiliateapikey": {
        "last_used_at": "affiliate_for_api_key records each use of a valid partner key",
        "last_used_ip": "written with last_used_at",
    },
}
COUNTERS = (
    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
    "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
)


@cache
def _tables() -> list[tuple[str, str, list[str], str]]:
    """(model label, table, columns compared, primary key column) of every managed table, M2M ones included."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy:
            continue
        skipped = EXCLUDED_FIELDS.get(meta.label_lower, {})
        columns = [f.column for f in meta.concrete_fields if f.name not in skipped]
        tables.append((meta.label_lower, meta.db_table, columns, meta.pk.column))
    return tables


def _hash(cursor, table: str, columns: list[str], pk: str) -> tuple[int, str]:
    quote = connection.ops.quote_name
    cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608
    rows = cursor.fetchall()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def snapshot() -> dict[str, tuple]:
    """{model label: its write counters (PostgreSQL) or (row count, hash of the rows)}."""
    label_of = {table: label for label, table, _, _ in _tables()}
    state: dict[str, tuple] = {}
    with connection.cursor() as cursor:
        counted = connection.vendor == "postgresql"
        if counted:
            cursor.execute(COUNTERS)
            state = {label_of.get(table, table): tuple(counters) for table, *counters in cursor.fetchall()}
        for label, table, columns, pk in _tables():
            if label in EXCLUDED_MODELS:
                state.pop(label, None)
            elif label in EXCLUDED_FIELDS or not counted:
                state[label] = _hash(cursor, table, columns, pk)
    return state


def changed(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """The models whose rows were written."""
    return sorted(label for label in before.keys() | after.keys() if before.get(label) != after.get(label))
