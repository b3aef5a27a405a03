"""The history server's query language: `filters[]{entryType, field, value}`, `sort{field, column, direction}`.

Each source lists the fields it can be filtered on (`Field`: a column of its rows before they are grouped, a kind,
and for enums the seed's values) and the output keys it can be sorted by. `entryType` is the operator:

- text fields: `Equals`, `NotEquals`, `In` (a list), `Contains` (case-insensitive);
- number and integer (id) fields: `Equals`, `NotEquals`, `In`, `GreaterThan`, `GreaterThanOrEqual`, `LessThan`,
  `LessThanOrEqual` (finite, under 10^15 in size; ids whole);
- date-time fields (ISO 8601): `GreaterThan`, `GreaterThanOrEqual`, `LessThan`, `LessThanOrEqual`;
- enum fields: `Equals`, `NotEquals`, `In`, with the seed's values (`Buy`, `Filled`, ...).

Several filters are all applied (AND). An unknown field, an operator the field does not take, or a value of the
wrong type is a 400 naming the filter (`filters[0].field`). `sort.field` (or `sort.column` when `field` is empty)
is an output key of the source; `direction` is `Asc`, `Desc`, or `Unspecified` (the source's own order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from crm.core.api.fields import MatchValueField


class Operator(models.TextChoices):
    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"
    IN = "In"
    CONTAINS = "Contains"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqual"
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL = "LessThanOrEqual"


class Direction(models.TextChoices):
    UNSPECIFIED = "Unspecified"
    ASC = "Asc"
    DESC = "Desc"


class Kind(models.TextChoices):
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    DATETIME = "datetime"
    ENUM = "enum"


OP = Operator
LARGEST = Decimal(10) ** 15
MAX_TEXT = 200
OPERATORS: dict[str, tuple[str, ...]] = {
    Kind.TEXT: (OP.EQUALS, OP.NOT_EQUALS, OP.IN, OP.CONTAINS),
    Kind.NUMBER: (
        OP.EQUALS, OP.NOT_EQUALS, OP.IN,
        OP.GREATER_THAN, OP.GREATER_THAN_OR_EQUAL, OP.LESS_THAN, OP.LESS_THAN_OR_EQUAL,
    ),
    Kind.INTEGER: (
        OP.EQUALS, OP.NOT_EQUALS, OP.IN,
        OP.GREATER_THAN, OP.GREATER_THAN_OR_EQUAL, OP.LESS_THAN, OP.LESS_THAN_OR_EQUAL,
    ),
    Kind.DATETIME: (OP.GREATER_THAN, OP.GREATER_THAN_OR_EQUAL, OP.LESS_THAN, OP.LESS_THAN_OR_EQUAL),
    Kind.ENUM: (OP.EQUALS, OP.NOT_EQUALS, OP.IN),
}  # fmt: skip
LOOKUPS: dict[str, str] = {
    OP.EQUALS: "exact", OP.IN: "in", OP.CONTAINS: "icontains", OP.GREATER_THAN: "gt",
    OP.GREATER_THAN_OR_EQUAL: "gte", OP.LESS_THAN: "lt", OP.LESS_THAN_OR_EQUAL: "lte",
}  # fmt: skip


@dataclass(frozen=True)
class Field:
    """A filterable field: `path` reaches it from the source's rows; an enum maps each seed value to `condition`."""

    path: str
    kind: str
    choices: dict[str, Any] | None = None
    # For enums whose seed value is not one column value (an order's `Started`): the rows of the given values.
    condition: Callable[[list[str]], Q] | None = None


class FilterSerializer(serializers.Serializer[Any]):
    entryType = serializers.ChoiceField(choices=Operator.choices)
    field = serializers.CharField()
    value = MatchValueField(help_text="A string, number, boolean, or a list of them for `In`.")


class SortSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(required=False, allow_blank=True, default="")
    column = serializers.CharField(required=False, allow_blank=True, default="", help_text="Read when no `field`.")
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, default=Direction.UNSPECIFIED)


def _number(value: Any) -> Decimal | None:
    """A finite number small enough for any column (ids are bigints), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < LARGEST else None


def _one(field: Field, value: Any, where: str) -> Any:
    """One filter value checked against the field's kind (the enum's seed value mapped to its column value)."""
    if field.kind == Kind.TEXT and isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)
        if "\x00" not in text and len(text) <= MAX_TEXT:
            return text
    number = _number(value) if field.kind in (Kind.NUMBER, Kind.INTEGER) else None
    if number is not None and (field.kind == Kind.NUMBER or number == number.to_integral_value()):
        return number if field.kind == Kind.NUMBER else int(number)
    if field.kind == Kind.DATETIME and isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if field.kind == Kind.ENUM and field.choices is not None and isinstance(value, str) and value in field.choices:
        return value
    if field.kind == Kind.ENUM and field.choices is not None:
        raise ValidationError({where: [_("Expected one of: %(values)s.") % {"values": ", ".join(field.choices)}]})
    raise ValidationError({where: [_("Expected a %(kind)s value.") % {"kind": field.kind}]})


def _condition(field: Field, operator: str, value: Any, where: str) -> Q:
    values = value if isinstance(value, list) else [value]
    if operator == OP.IN and not isinstance(value, list):
        raise ValidationError({where: [_("Expected a list of values.")]})
    if operator != OP.IN and isinstance(value, list):
        raise ValidationError({where: [_("Expected one value.")]})
    checked = [_one(field, item, where) for item in values]
    if field.kind == Kind.ENUM and field.choices is not None:
        matched = (
            field.condition(checked)
            if field.condition
            else Q(**{f"{field.path}__in": [field.choices[v] for v in checked]})
        )
        return ~matched if operator == OP.NOT_EQUALS else matched
    if operator == OP.NOT_EQUALS:
        return ~Q(**{field.path: checked[0]})
    return Q(**{f"{field.path}__{LOOKUPS[operator]}": checked if operator == OP.IN else checked[0]})


def conditions(fields: dict[str, Field], filters: Sequence[dict[str, Any]]) -> Q:
    """The rows the filters keep (all of them), or a 400 naming the first bad filter."""
    query = Q()
    for index, item in enumerate(filters):
        name, operator = item["field"], item["entryType"]
        field = fields.get(name)
        if field is None:
            raise ValidationError(
                {f"filters[{index}].field": [_("Unknown field; known: %(fields)s.") % {"fields": ", ".join(fields)}]}
            )
        if operator not in OPERATORS[field.kind]:
            allowed = ", ".join(OPERATORS[field.kind])
            raise ValidationError(
                {f"filters[{index}].entryType": [_("This field takes: %(operators)s.") % {"operators": allowed}]}
            )
        query &= _condition(field, operator, item["value"], f"filters[{index}].value")
    return query


def ordering(sortable: Sequence[str], sort: dict[str, Any] | None, default: list[Any]) -> list[Any]:
    """The ORDER BY of a `sort` (an output key, `h_`-prefixed in the query), ties broken by the source's order."""
    if not sort or sort.get("direction", Direction.UNSPECIFIED) == Direction.UNSPECIFIED:
        name = (sort or {}).get("field") or (sort or {}).get("column")
        if name and name not in sortable:
            raise ValidationError(
                {"sort.field": [_("Unknown field; known: %(fields)s.") % {"fields": ", ".join(sortable)}]}
            )
        return default
    name = sort.get("field") or sort.get("column") or ""
    if name not in sortable:
        raise ValidationError(
            {"sort.field": [_("Unknown field; known: %(fields)s.") % {"fields": ", ".join(sortable)}]}
        )
    column = models.F(f"h_{name}")
    first = column.desc(nulls_last=True) if sort["direction"] == Direction.DESC else column.asc(nulls_last=True)
    return [first, *default]
