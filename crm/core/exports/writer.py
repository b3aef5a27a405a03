"""Streaming XLSX writing: openpyxl write-only mode, one row in memory at a time; user text never becomes a formula
(`crm.core.exports.cells`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from html import unescape
from typing import IO, Any

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from openpyxl import Workbook
from openpyxl.styles import Font

from crm.core.exports.cells import xlsx_row, xlsx_text_cell

# Excel refuses longer cell text.
MAX_CELL_LENGTH = 32767


def cell_value(value: Any) -> Any:
    """A value openpyxl can store: numbers, Decimals and dates stay typed, everything else becomes text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date | dt.time):
        return value
    if isinstance(value, dict | list | tuple):
        if all(not isinstance(item, dict | list) for item in value) and not isinstance(value, dict):
            return ", ".join(str(item) for item in value)
        return json.dumps(value, default=str, ensure_ascii=False)[:MAX_CELL_LENGTH]
    text = str(value)
    if isinstance(value, SafeData) or "<" in text:
        text = unescape(strip_tags(text))
    return text[:MAX_CELL_LENGTH]


def write_xlsx(
    out: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Export",
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write a header row and every row to `out`; calls `on_progress(rows_done)` every N rows. Returns the count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = xlsx_text_cell(sheet, str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(xlsx_row(sheet, [cell_value(value) for value in row]))
        count += 1
        if on_progress and count % progress_every == 0:
            on_progress(count)
    workbook.save(out)
    return count
