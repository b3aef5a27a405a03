"""Reading uploaded tables: the row count agrees with the rows read."""

from __future__ import annotations

import io

import pytest

from crm.core.imports.reader import UnreadableFile, count_rows, open_table

CSV = 'email,name\na@example.com,Ann\n\n , \n"b@example.com","Bob\nSmith"\n;,\nc@example.com,\t\n'


def test_count_rows_counts_the_rows_read_without_the_blank_ones():
    with open_table(io.BytesIO(CSV.encode()), name="x.csv") as table:
        rows = list(table.rows)

    assert count_rows(io.BytesIO(CSV.encode()), name="x.csv") == len(rows) == 4
    assert rows[1] == ["b@example.com", "Bob\nSmith"]


def test_count_rows_refuses_bytes_the_encoding_cannot_read():
    content = b"email\n" + b"a@example.com\n" * 20000 + b"b\x81b@example.com\n"

    with pytest.raises(UnreadableFile, match="is not text in"):
        count_rows(io.BytesIO(content), name="x.csv")
