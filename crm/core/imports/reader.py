"""Open an uploaded CSV or XLSX file as a header row and a lazy iterator of rows, in constant memory."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

XLSX_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024
CHUNK = 1024 * 1024


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file we can read."""


@dataclass
class Table:
    file_format: str
    encoding: str
    headers: list[str]
    rows: Iterator[list[str]]
    # Counts the rows `rows` would give without making them, where the format allows (CSV), reading them up.
    count: Callable[[], int] | None = None


def detect_encoding(stream: IO[bytes]) -> str:
    """ "utf-8-sig" (BOM), "utf-8" when the whole file decodes as UTF-8, otherwise "cp1252" (Latin-1 family).

    The whole file is checked, in chunks: a file whose first megabyte is ASCII may still hold Latin-1
    accents further down. cp1252 is the Windows superset of Latin-1 that spreadsheets write.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)
    return "utf-8"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into a spreadsheet become floats
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


@contextmanager
def open_table(stream: IO[bytes], *, name: str = "") -> Iterator[Table]:
    """The file as a Table; the rows iterator is valid inside the `with` block only."""
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    if magic == XLSX_MAGIC or name.lower().endswith(".xlsx"):
        with _xlsx(stream) as table:
            yield table
        return
    yield _csv(stream)


def _csv(stream: IO[bytes]) -> Table:
    encoding = detect_encoding(stream)
    sample = stream.read(SNIFF_BYTES).decode(encoding, errors="replace")
    stream.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else ",", delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise UnreadableFile("The file is empty.") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"Not a CSV file: {exc}") from exc
    except UnicodeDecodeError as exc:  # a binary file, or bytes the detected encoding does not have
        raise UnreadableFile(f"Not a text file in {encoding}: {exc.reason} at byte {exc.start}.") from exc
    return Table("csv", encoding, headers, _text_rows(reader, encoding), partial(_count_text_rows, reader, encoding))


def _text_rows(reader: Any, encoding: str) -> Iterator[list[str]]:
    try:
        for row in reader:
            cells = list(map(str.strip, row))
            if any(cells):  # a row of blank cells is no row
                yield cells
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"Line {reader.line_num + 1} is not text in {encoding}: {exc.reason}.") from exc


def _count_text_rows(reader: Any, encoding: str) -> int:
    """How many rows `_text_rows` would give, without making them: a row has a cell that is not blank when its
    cells joined are not blank."""
    try:
        return sum(1 for row in reader if "".join(row).strip())
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"Line {reader.line_num + 1} is not text in {encoding}: {exc.reason}.") from exc


@contextmanager
def _xlsx(stream: IO[bytes]) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise UnreadableFile("Not a readable XLSX file.") from exc
    try:
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        try:
            headers = [_cell(v) for v in next(values)]
        except StopIteration as exc:
            raise UnreadableFile("The file is empty.") from exc
        rows = ([_cell(v) for v in row] for row in values if any(v not in (None, "") for v in row))
        yield Table("xlsx", "", headers, rows)
    finally:
        workbook.close()


def count_rows(stream: IO[bytes], *, name: str = "") -> int:
    """How many data rows the file has (a pass over the file): the rows `open_table` gives."""
    with open_table(stream, name=name) as table:
        return table.count() if table.count is not None else sum(1 for _row in table.rows)
