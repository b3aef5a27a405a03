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
from psycopg.adapt import PyFormat, Transformer


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Any],  # tuples of values, or lines of COPY text with `formatted`
    *,
    count: int | None = None,
    ids: list[int] | None = None,
    formatted: bool = False,
) -> list[int]:
    """Insert one row per tuple (values in the order of `fields`, attribute names such as `desk_id`) and
    return the new primary keys, in the order of `rows`.

    With `formatted` (PostgreSQL only), each row is its values as a line of COPY text already (`CopyText.line`,
    without the line end), formatted ahead by the caller, for instance in another thread.

    With `count` (how many rows there are), `rows` may be a generator: on PostgreSQL each row is built when
    the COPY asks for it, while the server writes the rows already sent, instead of all of them first. Such a
    generator must not use the database (it runs inside the COPY). `ids` are the rows' primary keys when the
    caller reserved them already (`reserve_ids`), one per row.
    """
    if count is None:
        rows = list(rows)
        count = len(rows)
    if not count:
        return []
    if formatted:
        return copy_rows(model, fields, rows, count=count, ids=ids, formatted=True)
    write = copy_rows if connection.vendor == "postgresql" else create_rows
    return write(model, fields, rows, count=count, ids=ids)


def create_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    count: int | None = None,
    ids: list[int] | None = None,
) -> list[int]:
    """`insert_rows` through model objects and `bulk_create` (any database; SQLite returns the new ids).

    `count` is accepted for `copy_rows`'s signature; `bulk_create` takes every object at once anyway."""
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    if ids is not None:
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk
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
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Any],  # tuples of values, or lines of COPY text with `formatted`
    *,
    count: int | None = None,
    ids: list[int] | None = None,
    formatted: bool = False,
) -> list[int]:
    """`insert_rows` through PostgreSQL's COPY: ids reserved first (unless given), then one COPY of plain
    values, each row sent as it comes, in chunks, while the server inserts what it has.

    Values must be what psycopg can write for the column (str, int, bool, datetime, None; lists and dicts
    for JSON fields): no model field conversion runs, which is the point. Each row is formatted as COPY
    text here (`CopyText`), the columns every row shares once per call.
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
    # A JSON field's value goes in as its JSON text; positions in (the row, the shared values, the per-row ones).
    given_json = _json_positions(given)
    constant_json = _json_positions([field for field, _value in constant])
    per_row_json = _json_positions([field for field, _default in per_row])
    fixed = _with_json(tuple(value for _field, value in constant), constant_json)
    makers = [default for _field, default in per_row]
    if ids is None:
        if count is None:
            rows = list(rows)
            count = len(rows)
        ids = reserve_ids(model, count)
    quote = connection.ops.quote_name
    statement = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) FROM STDIN"  # type: ignore[union-attr,arg-type]  # concrete fields only
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        text = CopyText(cursor.cursor)
        shared = "".join(["\t" + text.cell(value) for value in fixed])
        lines: list[str] = []
        for pk, row in zip(ids, rows, strict=True):
            line = f"{pk}\t{row if formatted else text.line(_with_json(row, given_json))}{shared}"
            if makers:
                line += "\t" + text.line(_with_json(tuple(make() for make in makers), per_row_json))
            lines.append(line + "\n")
            if len(lines) == COPY_CHUNK_ROWS:
                copy.write("".join(lines))
                lines.clear()
        if lines:
            copy.write("".join(lines))
    return ids


COPY_CHUNK_ROWS = 256  # rows sent to the server at a time: it inserts them while the next ones are formatted


def _escaped(value: str) -> str:
    """A value as COPY's text format escapes it (the escape character, the column separator, the row end);
    `str.replace` runs in C, where `str.translate` with a table looks each character up in Python."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


class CopyText:
    """Values as the columns of a line of COPY's text format, as psycopg's `write_row` would send them.

    The types a batch is mostly made of (str, None, bool, int) are formatted here; any other value by the
    connection's own psycopg dumper (dates, decimals, ...), then escaped. A line of plain strings, the common
    case, is joined whole and checked once instead of escaping each value.
    """

    def __init__(self, cursor: Any = None) -> None:
        """With no cursor (values formatted away from the connection that writes them), other values are
        formatted by psycopg's global dumpers, in UTF-8."""
        self.transformer = Transformer.from_context(cursor)
        self.encoding = cursor.connection.info.encoding if cursor is not None else "utf-8"

    def cell(self, value: Any) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        kind = value.__class__
        if kind is int:
            return str(value)
        if kind is not str:
            dumped = self.transformer.get_dumper(value, PyFormat.TEXT).dump(value)
            value = bytes(dumped).decode(self.encoding)  # type: ignore[arg-type]  # a dumper returns a buffer
        return _escaped(value)

    def line(self, values: tuple[Any, ...]) -> str:
        cells = [value if value.__class__ is str else self.cell(value) for value in values]
        line = "\t".join(cells)
        # Plain values: as many tabs as separators, a backslash for each NULL only (bools and numbers have
        # none), no line ends. Anything else is escaped value by value.
        if (
            line.count("\t") == len(cells) - 1
            and line.count("\\") == values.count(None)
            and "\n" not in line
            and "\r" not in line
        ):
            return line
        # Only the strings are left to escape: the other cells are formatted and escaped already.
        return "\t".join(
            [_escaped(cell) if value.__class__ is str else cell for value, cell in zip(values, cells, strict=True)]
        )


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


def _json_positions(fields: Sequence[Any]) -> list[tuple[int, type[json.JSONEncoder] | None]]:
    return [(i, field.encoder) for i, field in enumerate(fields) if isinstance(field, models.JSONField)]


def _with_json(
    record: tuple[Any, ...], json_fields: list[tuple[int, type[json.JSONEncoder] | None]]
) -> tuple[Any, ...]:
    if not json_fields:
        return record
    values = list(record)
    for i, encoder in json_fields:
        values[i] = json.dumps(values[i], cls=encoder)
    return tuple(values)
