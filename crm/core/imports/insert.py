"""Writing a batch of new rows in one go: PostgreSQL COPY, `bulk_create` on other databases (SQLite in tests).

Both run inside the caller's transaction, so a batch is written whole or not at all, and both give the
new rows the same values: the ones passed, every other field's default, `auto_now`/`auto_now_add` times.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]], *, count: int | None = None
) -> list[int]:
    """Insert one row per tuple (values in the order of `fields`, attribute names such as `desk_id`) and
    return the new primary keys, in the order of `rows`.

    With `count` (how many rows there are), `rows` may be a generator: on PostgreSQL each row is built when
    the COPY asks for it, while the server writes the rows already sent, instead of all of them first. Such a
    generator must not use the database (it runs inside the COPY).
    """
    if count is None:
        rows = list(rows)
        count = len(rows)
    if not count:
        return []
    write = copy_rows if connection.vendor == "postgresql" else create_rows
    return write(model, fields, rows, count=count)


def create_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]], *, count: int | None = None
) -> list[int]:
    """`insert_rows` through model objects and `bulk_create` (any database; SQLite returns the new ids).

    `count` is accepted for `copy_rows`'s signature; `bulk_create` takes every object at once anyway."""
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    return [obj.pk for obj in model._default_manager.bulk_create(objects)]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's sequence, in one query.

    `nextval` never hands the same value to two sessions, whether or not their transactions commit, so
    concurrent imports (and ordinary inserts) cannot collide; the ids of one batch are increasing but not
    always consecutive.
    """
    meta = model._meta
    # The sequence looked up once, not for each id (the lookup costs several times the `nextval`).
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]], *, count: int | None = None
) -> list[int]:
    """`insert_rows` through PostgreSQL's COPY: ids reserved first, then one COPY of plain values, each row
    sent as it comes (psycopg passes the data on in chunks while the server inserts what it has).

    Values must be what psycopg can write for the column (str, int, bool, datetime, None; lists and dicts
    for JSON fields): no model field conversion runs, which is the point.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    now = timezone.now()
    # Every other concrete field gets what the model would give it: a time, a default, a default per row.
    constant, per_row = [], []
    for field in meta.concrete_fields:
        if field.primary_key or field in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constant.append((field, now))
        elif field.has_default() and callable(field.default):
            per_row.append((field, field.default))
        else:
            constant.append((field, field.get_default()))
    columns = [meta.pk, *given, *(field for field, _value in constant), *(field for field, _default in per_row)]
    json_fields = [(i, field.encoder) for i, field in enumerate(columns) if isinstance(field, models.JSONField)]
    fixed = tuple(value for _field, value in constant)
    makers = [default for _field, default in per_row]
    if count is None:
        rows = list(rows)
        count = len(rows)
    ids = reserve_ids(model, count)
    quote = connection.ops.quote_name
    statement = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) FROM STDIN"  # type: ignore[union-attr,arg-type]  # concrete fields only
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for pk, row in zip(ids, rows, strict=True):
            record = (pk, *row, *fixed, *(make() for make in makers))
            if json_fields:
                record = _with_json(record, json_fields)
            copy.write_row(record)
    return ids


class PlannerStatistics:
    """Keeps PostgreSQL's row estimate of a table an import grows close enough for its lookups' plans.

    An import can multiply a table's rows faster than autovacuum looks: a planner that still believes the
    table small (or empty) scans it whole for each batch's duplicate lookup, comparing every row with every
    key of the batch, and the import slows down with each batch. After each batch, once the rows added
    since the estimate was last read pass the estimate itself, ANALYZE the table (a sample, well under a
    second): a few times per import (at 2x, 4x, 8x... the table it started from), never on other databases.
    With `columns`, only those get fresh statistics (and the row count, which ANALYZE always updates): the
    ones the lookups filter on; the sample costs about half of a whole-table ANALYZE of the leads table, and
    autovacuum sees to the other columns as before.
    """

    def __init__(self, model: type[models.Model], *, columns: Sequence[str] = ()) -> None:
        self.table = model._meta.db_table
        quote = connection.ops.quote_name
        self.statement = f"ANALYZE {quote(self.table)}"
        if columns:
            self.statement += f" ({', '.join(quote(model._meta.get_field(name).column) for name in columns)})"  # type: ignore[union-attr,arg-type]  # concrete fields only
        self.added = 0
        self.estimate = self._estimate() if connection.vendor == "postgresql" else 0

    def _estimate(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [self.table]
            )
            return int(cursor.fetchone()[0])

    def grew(self, rows: int) -> None:
        if connection.vendor != "postgresql":
            return
        self.added += rows
        if self.added > self.estimate:
            with connection.cursor() as cursor:
                cursor.execute(self.statement)
            self.estimate, self.added = self._estimate(), 0


def _with_json(
    record: tuple[Any, ...], json_fields: list[tuple[int, type[json.JSONEncoder] | None]]
) -> tuple[Any, ...]:
    values = list(record)
    for i, encoder in json_fields:
        values[i] = json.dumps(values[i], cls=encoder)
    return tuple(values)
