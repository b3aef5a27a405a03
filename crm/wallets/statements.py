"""A wallet statement as an XLSX file (openpyxl write-only: rows stream, memory stays flat; text never becomes a
formula, `crm.core.exports.cells`)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook

from crm.core.exports.cells import xlsx_row
from crm.wallets.selectors import Statement

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def statement_xlsx(statement: Statement) -> bytes:
    """Opening balance, one row per movement with the running balance, closing balance."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Statement")

    def append(values: list[Any]) -> None:
        sheet.append(xlsx_row(sheet, values))

    wallet = statement.wallet
    append(["Wallet", wallet.number, "Currency", wallet.currency_id])
    append(["From", statement.start.isoformat(), "To", statement.end.isoformat()])
    append([])
    append(["Date", "Entry", "Type", "Description", "Transaction", "Amount", "Balance"])
    append(["", "", "", "Opening balance", "", None, statement.opening_balance])
    for line in statement.lines:
        append(
            [
                line.created_at.replace(tzinfo=None),
                line.entry_id,
                line.kind,
                line.description,
                line.transaction_id,
                line.amount,
                line.balance_after,
            ]
        )
    append(["", "", "", "Closing balance", "", None, statement.closing_balance])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statement_filename(statement: Statement) -> str:
    return f"statement-{statement.wallet.number}-{statement.start:%Y%m%d}-{statement.end:%Y%m%d}.xlsx"
