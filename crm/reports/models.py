"""Report runs (one file of one report, built by a task) and report templates (a report on a schedule)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel, private_storage


class ReportKind(models.TextChoices):
    BALANCE = "balance", _("Balance (per wallet, from the ledger)")
    AFFILIATION = "affiliation", _("Affiliation (per affiliate)")
    TRANSACTIONS = "transactions", _("Transactions")
    PROFIT_LOSS = "profitloss", _("Profit and loss (per trading account)")
    # Seed 001 history server read models (crm.reports.history.jobs), asked for through /api/reports.
    H_TRADES = "h.trades", _("Trades (history server)")
    H_ORDERS = "h.orders", _("Orders (history server)")
    H_OPEN_ORDERS = "h.open_orders", _("Open orders (history server)")
    H_TRANSFERS = "h.transfers", _("Transfers (history server)")
    H_USER_BALANCES = "h.user_balances", _("Balances per user (history server)")
    H_ACCOUNT_BALANCES = "h.account_balances", _("Balances per account (history server)")
    H_COMMISSIONS_USERS = "h.comm_users", _("Commission per user (history server)")
    H_COMMISSIONS_ACCOUNTS = "h.comm_accounts", _("Commission per account (history server)")
    H_COMMISSIONS_ASSETS = "h.comm_assets", _("Commission per asset (history server)")
    H_COMMISSIONS_USERS_ASSETS = "h.comm_users_assets", _("Commission per user and asset (history server)")
    H_COMMISSIONS_ACCOUNTS_ASSETS = "h.comm_acc_assets", _("Commission per account and asset (history server)")
    H_MARKUP_REVENUE = "h.markup_revenue", _("Markup revenue (history server)")


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


def report_upload_path(instance: ReportRun, filename: str) -> str:
    return f"reports/{uuid.uuid4().hex}/{filename}"


class ReportRunQuerySet(models.QuerySet["ReportRun"]):
    def visible_to(self, user: Any) -> ReportRunQuerySet:
        """A staff member's own runs (and those of their templates); `reports.view_all_reportruns` sees all."""
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("reports.view_all_reportruns"):
            return self
        return self.filter(owner=user)

    def for_list(self) -> ReportRunQuerySet:
        return self.select_related("owner", "template")

    def expired(self, now: dt.datetime | None = None) -> ReportRunQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())

    def unfinished(self) -> ReportRunQuerySet:
        return self.filter(status__in=[ReportRun.Status.PENDING, ReportRun.Status.RUNNING])


class ReportRun(TimeStampedModel):
    """One report built into a file by a task: status, attempts, progress, the file until it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_runs")
    template = models.ForeignKey(
        "reports.ReportTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    # The seed's `reportName` (001 /api/reports); blank for reports asked for elsewhere.
    name = models.CharField(max_length=200, blank=True)
    # The report's parameters: {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "sortBy": ..., filters per kind};
    # a history server kind (`h.`): {"filters": [{entryType, field, value}], "sort": {field, column, direction}}.
    params = models.JSONField(default=dict, blank=True)
    file_format = models.CharField(max_length=4, choices=ReportFormat.choices, default=ReportFormat.XLSX)
    notify_emails = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the sweep (crm.core.work) sends the run again if it is still pending or running (crm/reports/work.py).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=report_upload_path, storage=private_storage, max_length=255, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="reportrun_owner_idx")]
        permissions = [("view_all_reportruns", "Can view every staff member's report runs")]

    def __str__(self) -> str:
        return f"Report #{self.pk} {self.kind}"

    @property
    def percent(self) -> int:
        """Progress from 0 to 100."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class ReportTemplateQuerySet(models.QuerySet["ReportTemplate"]):
    def visible_to(self, user: Any, *, include_deleted: bool = False) -> ReportTemplateQuerySet:
        """Templates not deleted (the admin may ask for the deleted too): the staff member's own;
        `reports.view_all_reportruns` sees all."""
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        rows = self if include_deleted else self.live()
        if user.has_perm("reports.view_all_reportruns"):
            return rows
        return rows.filter(owner=user)

    def live(self) -> ReportTemplateQuerySet:
        return self.filter(deleted_at__isnull=True)

    def due(self, now: dt.datetime) -> ReportTemplateQuerySet:
        return self.filter(deleted_at__isnull=True, is_enabled=True, next_run_at__lte=now)


class ReportTemplate(TimeStampedModel):
    """A report on a schedule (001 report templates): from a base date, daily, weekly on some days, or monthly."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_templates")
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    # Filters and sorting of the report; the period is the `period_days` days before each run's day.
    params = models.JSONField(default=dict, blank=True)
    period_days = models.PositiveSmallIntegerField(default=1, help_text=_("Days each run covers, ending yesterday."))
    file_format = models.CharField(max_length=4, choices=ReportFormat.choices, default=ReportFormat.XLSX)
    notify_emails = models.JSONField(default=list, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    # Weekly: ISO weekdays (1 = Monday .. 7 = Sunday); empty means the base date's weekday.
    days_of_week = models.JSONField(default=list, blank=True)
    base_date = models.DateTimeField(help_text=_("The first run; later runs keep its time of day."))
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReportTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_days__gte=1, period_days__lte=366), name="template_period_days")
        ]

    def __str__(self) -> str:
        return self.name


class AdminNotificationType(models.TextChoices):
    """What a staff notification is about (001 admin notifications; `data.type` repeats it)."""

    EXTERNAL_ORDER_TIMEOUT = "ExternalOrderTimeout", _("Orders timed out at the liquidity provider")
    WITHDRAWAL_PENDING = "WithdrawalPendingApproval", _("Withdrawal waiting for approval")
    PAYOUT_FAILED = "PayoutFailed", _("Payout failed")
    PAYOUT_ATTENTION = "PayoutAttentionNeeded", _("Payout needs attention")
    STOP_OUT = "StopOut", _("Stop-out")
    WEBHOOK_FAILED = "WebhookFailed", _("Provider webhook failed")


class AdminNotificationQuerySet(models.QuerySet["AdminNotification"]):
    def visible_to(self, user: Any) -> AdminNotificationQuerySet:
        """A staff member (an API token: its service account) sees the notifications addressed to them, only."""
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> AdminNotificationQuerySet:
        return self.filter(is_read=False)


class AdminNotification(models.Model):
    """Something staff must act on, addressed to each staff member who can act (by permission), read or not."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admin_notifications"
    )
    type = models.CharField(max_length=32, choices=AdminNotificationType.choices)
    # The seed's `data`: camelCase keys of the type, plus `type` itself.
    data = models.JSONField(default=dict, blank=True)
    # What raised it ("event:<outbox id>"): one notification per recipient and cause.
    key = models.CharField(max_length=64)
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AdminNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["key", "recipient"], name="adminnotification_once")]
        indexes = [models.Index(fields=["recipient", "is_read", "-id"], name="adminnotification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"

    @property
    def payload(self) -> dict[str, Any]:
        """`data` with its `type` (always the notification's)."""
        return {**self.data, "type": self.type}


# Daily rollups of the dashboard (crm.reports.rollups): closed broker days, PostgreSQL only. -------------------------
# Keys are plain columns, not foreign keys: a rollup row is a count, it must not block or cascade a delete.


class ClientDay(models.Model):
    """Clients registered and clients' first deposits on one broker day, per the clients' agents and attributes."""

    day = models.DateField()
    conversion_agent_id = models.BigIntegerField(null=True)
    retention_agent_id = models.BigIntegerField(null=True)
    introducer_id = models.BigIntegerField(null=True)
    country = models.CharField(max_length=2, blank=True)
    source = models.CharField(max_length=100, blank=True)
    kyc_status = models.CharField(max_length=12)
    registrations = models.PositiveIntegerField(default=0)
    ftds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="clientday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.registrations} registrations, {self.ftds} FTDs"


class MoneyDay(models.Model):
    """Completed deposits, done withdrawals and withdrawals waiting for approval created on one broker day, per
    currency and the clients' agents."""

    day = models.DateField()
    currency_id = models.CharField(max_length=10)
    conversion_agent_id = models.BigIntegerField(null=True)
    retention_agent_id = models.BigIntegerField(null=True)
    deposits = models.DecimalField(max_digits=28, decimal_places=8, default=0)
    withdrawals = models.DecimalField(max_digits=28, decimal_places=8, default=0)
    deposit_count = models.PositiveIntegerField(default=0)
    pending_withdrawals = models.DecimalField(max_digits=28, decimal_places=8, default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="moneyday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.currency_id}: {self.deposits} in, {self.withdrawals} out"


class RollupState(models.Model):
    """The one row saying which broker days the rollups hold: every day up to `covered_through`, in `zone`."""

    zone = models.CharField(max_length=64)
    covered_through = models.DateField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"through {self.covered_through} ({self.zone})"


class RollupTouch(models.Model):
    """A UTC date whose rows changed since the rollups were computed (written by database triggers)."""

    utc_day = models.DateField()

    class Meta:
        verbose_name = _("rollup touch")
        verbose_name_plural = _("rollup touches")

    def __str__(self) -> str:
        return str(self.utc_day)
