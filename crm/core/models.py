from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core import crypto, jsontext

if TYPE_CHECKING:
    from crm.core.files import StorageAlias
    from crm.core.typing import PermissionHolder


class TimeStampedModel(models.Model):
    """Base for every model: when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Setting(TimeStampedModel):
    """A typed key-value setting; secret values are stored encrypted and never shown again."""

    class Type(models.TextChoices):
        STRING = "string", _("Text")
        INTEGER = "integer", _("Integer")
        DECIMAL = "decimal", _("Decimal")
        BOOLEAN = "boolean", _("Yes/no")
        JSON = "json", _("JSON")

    key = models.CharField(
        max_length=100,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", _("Lower-case words joined by dots or underscores."))
        ],
        help_text=_("Dotted or snake_case name, e.g. sumsub.app_token"),
    )
    value_type = models.CharField(max_length=10, choices=Type.choices, default=Type.STRING)
    # Plain text for ordinary settings, a Fernet token for secrets.
    stored_value = models.TextField(blank=True)
    is_secret = models.BooleanField(default=False, help_text=_("Encrypted at rest and never displayed again."))
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def value(self) -> object:
        """The typed value (decrypted when secret)."""
        raw = crypto.decrypt(self.stored_value) if self.is_secret and self.stored_value else self.stored_value
        return parse_setting_value(raw, self.value_type)


def parse_setting_value(raw: str, value_type: str) -> object:
    """Turn the stored text into the setting's type; ValidationError when it does not fit."""
    try:
        if value_type == Setting.Type.INTEGER:
            return int(raw)
        if value_type == Setting.Type.DECIMAL:
            return Decimal(raw)
        if value_type == Setting.Type.BOOLEAN:
            if raw.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"true", "1", "yes"}
        if value_type == Setting.Type.JSON:
            return jsontext.loads(raw)
    except (ValueError, InvalidOperation) as exc:
        raise ValidationError({"value": _("Not a valid %(type)s.") % {"type": value_type}}) from exc
    return raw


class ActivityQuerySet(models.QuerySet["Activity"]):
    def for_target(self, obj: models.Model) -> ActivityQuerySet:
        """Everything that happened to one object, newest first."""
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))

    def for_list(self) -> ActivityQuerySet:
        return self.select_related("actor", "target_type")


class Activity(models.Model):
    """One thing a person or process did: who, what, when, on which object, from where, what changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when the user is deleted, and names processes ("task:export_task") that have no user.
    actor_repr = models.CharField(max_length=255, blank=True)
    channel = models.CharField(max_length=60, blank=True, help_text=_("admin, api, portal, task:<name>, ..."))
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # {"field": [old, new]} for updates
    changes = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"], name="activity_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}"


class OutboxEvent(models.Model):
    """A domain event written in the transaction of the change it reports, dispatched later by Celery."""

    name = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the sweep sends it again if it is still undispatched (crm.core.work).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="outbox_pending_idx", condition=models.Q(dispatched_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class HandledEvent(models.Model):
    """One handler ran for one event; the unique pair makes each handler run once per event."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="handled")
    handler = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handled_event_once")]

    def __str__(self) -> str:
        return f"{self.handler} <- {self.event_id}"


def private_storage() -> StorageAlias:
    """The storage for files served only through signed links (exports, KYC documents), following STORAGES."""
    from crm.core.files import StorageAlias

    return StorageAlias("private")


def export_upload_path(instance: ExportJob, filename: str) -> str:
    return f"exports/{instance.owner_id}/{filename}"


class ExportJobQuerySet(models.QuerySet["ExportJob"]):
    def visible_to(self, user: PermissionHolder | None) -> ExportJobQuerySet:
        """A user's own export jobs; holders of `core.view_all_exportjobs` see everyone's."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if user.has_perm("core.view_all_exportjobs"):
            return self
        return self.filter(owner_id=user.pk)

    def for_list(self) -> ExportJobQuerySet:
        return self.select_related("owner")

    def expired(self, now: dt.datetime | None = None) -> ExportJobQuerySet:
        from django.utils import timezone

        return self.filter(expires_at__lte=now or timezone.now())


class ExportJob(TimeStampedModel):
    """An XLSX export of the rows a user saw in an admin changelist or an API list, built by a task."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin changelist")
        API = "api", _("API list")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs")
    source = models.CharField(max_length=10, choices=Source.choices)
    # "customers.customer" (admin: app_label.model_name) or "backoffice:customer-list" (API: URL name)
    target = models.CharField(max_length=200)
    description = models.CharField(max_length=255, blank=True)
    # Query parameters of the list as the user saw it: {"name": ["value", ...]}
    params = models.JSONField(default=dict, blank=True)
    # Only these rows (admin action "export selected"); empty means every filtered row.
    selected_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=export_upload_path, storage=private_storage, max_length=255, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Runs of its task so far, and when the sweep runs it again if it is still pending or running (crm.core.work).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_all_exportjobs", "Can view every user's export jobs")]

    def __str__(self) -> str:
        return f"Export #{self.pk} {self.target}"

    @property
    def percent(self) -> int:
        """Progress from 0 to 100."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
