"""Lead imports: an uploaded CSV or XLSX file, its column mapping, progress and rejected-rows report."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel, private_storage


def import_upload_path(instance: LeadImport, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"lead-imports/{uuid.uuid4().hex}{suffix}"


def report_upload_path(instance: LeadImport, filename: str) -> str:
    return f"lead-imports/reports/{uuid.uuid4().hex}.csv"


class LeadImportQuerySet(models.QuerySet["LeadImport"]):
    def visible_to(self, user) -> LeadImportQuerySet:
        """A user's own imports; everyone's with `sales.view_all_leads`."""
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("sales.view_all_leads"):
            return self
        return self.filter(owner=user)


class LeadImport(TimeStampedModel):
    """One file of leads: previewed, then imported batch by batch by a task (or the `import_leads` command).

    Each batch is one transaction: a crash leaves whole batches only, and `rows_done` says where a new run
    resumes. Rejected rows and their reasons go to `report`, a CSV in private storage.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_imports")
    file = models.FileField(upload_to=import_upload_path, storage=private_storage, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    # {"email": "E-mail address", "phone": "Mobile", ...}: lead field -> column header of the file
    mapping = models.JSONField(default=dict, blank=True)
    # Values every imported lead gets: source, campaign, sales_status id, desk id, sales_person id, assign (bool)
    defaults = models.JSONField(default=dict, blank=True)
    batch_size = models.PositiveIntegerField(default=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW, db_index=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0, help_text=_("Rows read in committed batches."))
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    report = models.FileField(upload_to=report_upload_path, storage=private_storage, max_length=255, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Runs of its task so far, and when the sweep runs it again if it is still queued or running (crm.core.work).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text=_("When a run last took it."))

    objects = LeadImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
