"""A history kind on the admin's report page: its query (`filters[]`, `sort`) as form rows, and its errors per row.

The page reads its query from the URL (`field`, `entryType`, `value` repeated, one filter each; `sortField`,
`direction`), so a filtered report is a link. A row with neither field nor value is the blank "add a filter" row
and is left out. An `In` value is a comma-separated list. Nothing is checked here: the parameters go through the
same `clean_params` as a report run and `/api/reports`, and its field errors (`filters[0].field`,
`filters.0.entryType`, `sort.field`) are put back on the row and input they name.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from crm.reports.history.jobs import HistoryReport
from crm.reports.history.query import OPERATORS, Direction, Operator

ERROR_KEY = re.compile(r"^filters(?:\[(\d+)\]|\.(\d+))\.(\w+)$")
BLANK_ROWS = 1  # one empty row to add a filter with


@dataclass
class FilterRow:
    """One filter as typed: its field, operator (`entryType`) and value, and the errors of each."""

    field: str = ""
    entry_type: str = ""
    value: str = ""
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not self.field and not self.value.strip()

    def param(self) -> dict[str, Any]:
        value: Any = self.value.strip()
        if self.entry_type == Operator.IN:
            value = [item.strip() for item in value.split(",") if item.strip()]
        return {"entryType": self.entry_type, "field": self.field, "value": value}


@dataclass
class Query:
    """The page's query: its filter rows (blank ones included), sort, and errors of the sort and of the whole."""

    rows: list[FilterRow]
    sort_field: str = ""
    direction: str = Direction.UNSPECIFIED
    sort_errors: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def filters(self) -> list[FilterRow]:
        return [row for row in self.rows if not row.is_blank]

    def params(self) -> dict[str, Any]:
        """The report's parameters as a run and `/api/reports` take them."""
        params: dict[str, Any] = {"filters": [row.param() for row in self.filters]}
        if self.sort_field:
            params["sort"] = {"field": self.sort_field, "column": "", "direction": self.direction}
        return params

    def add_errors(self, fields: dict[str, list[str]], message: str) -> None:
        """`clean_params`'s field errors on the rows and inputs they name; the rest (or its message) for the page."""
        filters = self.filters
        for key, errors in fields.items():
            match = ERROR_KEY.match(key)
            if match and int(match[1] or match[2]) < len(filters):
                row = filters[int(match[1] or match[2])]
                name = "entry_type" if match[3] == "entryType" else match[3]
                row.errors.setdefault(name, []).extend(errors)
            elif key.startswith("sort"):
                self.sort_errors.extend(errors)
            else:
                self.errors.extend(f"{key}: {error}" for error in errors)
        if not fields:
            self.errors.append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.sort_errors or any(row.errors for row in self.rows))


def query_from(data: QueryDict) -> Query:
    """The query typed on the page (a GET's parameters), with one blank row to add a filter with."""
    names, operators, values = data.getlist("field"), data.getlist("entryType"), data.getlist("value")
    count = max(len(names), len(operators), len(values))
    typed = [
        FilterRow(
            field=names[index] if index < len(names) else "",
            entry_type=operators[index] if index < len(operators) else "",
            value=values[index] if index < len(values) else "",
        )
        for index in range(count)
    ]
    rows = [row for row in typed if not row.is_blank] + [FilterRow() for _ in range(BLANK_ROWS)]
    direction = data.get("direction") or Direction.ASC
    return Query(rows=rows, sort_field=data.get("sortField", ""), direction=direction)


def field_guide(report: HistoryReport) -> list[dict[str, Any]]:
    """The read model's filter fields: name, kind, the operators it takes and, for enums, the seed's values."""
    return [
        {
            "name": name,
            "kind": source_field.kind,
            "operators": OPERATORS[source_field.kind],
            "values": list(source_field.choices or ()),
        }
        for name, source_field in report.source.fields.items()
    ]
