"""Put the database back as a bench found it, for benches whose data must be committed (servers in other processes
read it) and so cannot be rolled back.

`Snapshot.take()` records, for every table of the schema (each has a one-column primary key), the keys it holds and,
for tables of up to SMALL_TABLE rows, every row's content. `restore()` then deletes the rows added since, puts back
the content of the small tables' rows changed since (system accounts' cached balances, an existing market's last
quote) and inserts again those deleted since. Rows of bigger tables are only checked for additions: a bench must not
change existing rows of big tables.

Ledger rows are immutable (triggers) and reference each other; the restore runs with `session_replication_role =
replica` (no triggers, no foreign-key checks) in one transaction, which is why only benches use it. Sequences keep
their advanced values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection, transaction

SMALL_TABLE = 20_000

PRIMARY_KEYS = """
SELECT c.relname, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE i.indisprimary AND n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""


@dataclass
class Table:
    name: str
    key: str
    keys: set[str] = field(default_factory=set)
    rows: dict[str, str] | None = None  # key -> the row as JSON text, small tables only


@dataclass
class Snapshot:
    tables: list[Table]

    @classmethod
    def take(cls) -> Snapshot:
        tables = []
        with connection.cursor() as cursor:
            cursor.execute(PRIMARY_KEYS)
            for name, key in sorted(cursor.fetchall()):
                table = Table(name, key)
                quoted, quoted_key = connection.ops.quote_name(name), connection.ops.quote_name(key)
                cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608 (catalogue names)
                if cursor.fetchone()[0] <= SMALL_TABLE:
                    cursor.execute(f"SELECT {quoted_key}::text, row_to_json(t)::text FROM {quoted} t")  # noqa: S608
                    table.rows = dict(cursor.fetchall())
                    table.keys = set(table.rows)
                else:
                    cursor.execute(f"SELECT {quoted_key}::text FROM {quoted}")  # noqa: S608
                    table.keys = {row[0] for row in cursor.fetchall()}
                tables.append(table)
        return cls(tables)

    def restore(self) -> None:
        """Delete what was added since the snapshot; put back the small tables' rows changed or deleted since."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in self.tables:
                _restore_table(cursor, table)


def _restore_table(cursor, table: Table) -> None:
    quoted, quoted_key = connection.ops.quote_name(table.name), connection.ops.quote_name(table.key)
    if table.rows is None:
        cursor.execute(f"SELECT {quoted_key}::text FROM {quoted}")  # noqa: S608 (catalogue names)
        added = [row[0] for row in cursor.fetchall() if row[0] not in table.keys]
        now: dict[str, str] = {}
    else:
        cursor.execute(f"SELECT {quoted_key}::text, row_to_json(t)::text FROM {quoted} t")  # noqa: S608
        now = dict(cursor.fetchall())
        added = [key for key in now if key not in table.keys]
    if added:
        cursor.execute(f"DELETE FROM {quoted} WHERE {quoted_key}::text = ANY(%s)", [added])  # noqa: S608
    if table.rows is None:
        return
    changed = [row for key, row in table.rows.items() if key in now and json.loads(now[key]) != json.loads(row)]
    missing = [row for key, row in table.rows.items() if key not in now]
    if changed:
        columns = ", ".join(connection.ops.quote_name(column) for column in json.loads(changed[0]))
        for row in changed:
            cursor.execute(
                f"UPDATE {quoted} SET ({columns}) = (SELECT {columns} FROM jsonb_populate_record(NULL::{quoted}, "  # noqa: S608
                f"%s::jsonb)) WHERE {quoted_key}::text = %s",
                [row, str(json.loads(row)[table.key])],
            )
    for row in missing:
        cursor.execute(f"INSERT INTO {quoted} SELECT * FROM jsonb_populate_record(NULL::{quoted}, %s::jsonb)", [row])  # noqa: S608
