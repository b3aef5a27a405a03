"""`INSERT ... SELECT FROM generate_series` for any model: millions of rows in one statement.

Columns named in `values` take that SQL expression (`i` is the row number, 1..count); every other column gets
its field's default (NULL when nullable, empty text, false, 0, now(), an empty JSON value), so a script names
only the columns its figure depends on.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def _default(field: models.Field) -> str:
    if field.null:
        return "NULL"
    if isinstance(field, models.JSONField):
        return "'[]'::jsonb" if field.default is list else "'{}'::jsonb"
    if isinstance(field, models.BooleanField):
        return "true" if field.default is True else "false"
    if isinstance(field, models.DateTimeField):
        return "now()"
    if isinstance(field, models.DecimalField | models.IntegerField | models.FloatField):
        return str(field.default) if isinstance(field.default, int | float) else "0"
    if isinstance(field, models.CharField | models.TextField | models.EmailField | models.FileField):
        return f"'{field.default}'" if isinstance(field.default, str) else "''"
    raise ValueError(f"No default for {field.model.__name__}.{field.name}; name it in `values`.")


def insert_series(
    model: type[models.Model], count: int, values: dict[str, str], params: list[Any] | None = None
) -> None:
    """Insert `count` rows of `model`: `values` maps column names to SQL expressions of `i`."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in values:
            continue
        columns.append(f'"{field.column}"')
        expressions.append(values.get(field.column) or _default(field))
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608 - the script's own SQL
        f"SELECT {', '.join(expressions)} FROM generate_series(1, %s) AS i"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(params or []), count])
        cursor.execute(f'ANALYZE "{model._meta.db_table}"')
