"""Markets files staff upload (001 `POST markets/file`): each row creates or changes one instrument."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel, private_storage


def market_file_path(instance: MarketImport, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"market-imports/{uuid.uuid4().hex}{suffix}"


class MarketImportQuerySet(models.QuerySet["MarketImport"]):
    def visible_to(self, user: Any) -> MarketImportQuerySet:
        """Markets files are configuration: every staff user who may change instruments sees them all."""
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        return self if user.has_perm("trading.change_instrument") else self.none()


class MarketImport(TimeStampedModel):
    """One uploaded markets file, imported by a task: row by row, each row whole or not at all.

    `row_errors` holds the reasons of each refused row ({"3": {"min_lot": ["..."]}}), `incorrect_rows` their
    numbers (1 = the first row under the headers), as 001 `GET markets/file/{id}` answers them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="market_imports")
    file = models.FileField(upload_to=market_file_path, storage=private_storage, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    incorrect_rows = models.JSONField(default=list, blank=True)
    row_errors = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text=_("Why the whole file failed (unreadable, no symbol column)."))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Runs of its task so far, and when the sweep runs it again if it is still pending or running (crm.core.work).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = MarketImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Markets file {self.original_name}"
