"""Rows an import refused, kept with their reasons until the report file is written."""

from __future__ import annotations

from django.db import models

from crm.sales.models.imports import LeadImport


class LeadImportRejection(models.Model):
    """One refused row of an import: its row number, its cells and why; written with its batch."""

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField()
    cells = models.JSONField(default=list)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["lead_import", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["lead_import", "row_number"], name="one_rejection_per_import_row")
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}"
