from openpyxl import load_workbook

from crm.core.models import ExportJob


def read_rows(job: ExportJob) -> list[list]:
    """Every row of the job's file, the header row first."""
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True)
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
        width = len(rows[0]) if rows else 0
        # The reader drops trailing empty cells.
        rows = [row + [None] * (width - len(row)) for row in rows]
        workbook.close()
    return rows
