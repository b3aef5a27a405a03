"""The double-entry journal: entries of postings that sum to zero per currency, never edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.money import format_money
from crm.wallets.models.accounts import MONEY, Wallet
from crm.wallets.models.currencies import Currency

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class Bucket(models.TextChoices):
    """Which cached column of the wallet a posting moves."""

    BALANCE = "balance", _("Balance")
    CREDIT = "credit", _("Credit")
    HOLD = "hold", _("On hold")


BUCKET_COLUMNS: dict[str, str] = {Bucket.BALANCE: "balance", Bucket.CREDIT: "credit", Bucket.HOLD: "on_hold"}


class JournalEntryQuerySet(models.QuerySet["JournalEntry"]):
    def visible_to(self, user: PermissionHolder | None) -> JournalEntryQuerySet:
        """The whole ledger for holders of `wallets.view_journalentry`."""
        if user and user.is_authenticated and user.is_staff and user.has_perm("wallets.view_journalentry"):
            return self
        return self.none()


class JournalEntry(models.Model):
    """One balance change: postings that sum to zero per currency. Never edited; a reversal fixes a mistake."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, db_index=True)
    description = models.CharField(max_length=255, blank=True)
    transaction = models.ForeignKey(
        "wallets.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    """One leg of an entry: an amount on one bucket of one wallet, with the bucket's value after it."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="postings")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    bucket = models.CharField(max_length=10, choices=Bucket.choices, default=Bucket.BALANCE)
    amount = models.DecimalField(**MONEY)
    # The wallet's bucket after this posting; empty on system accounts, which keep no cached balance.
    balance_after = models.DecimalField(**MONEY, null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero")]
        indexes = [models.Index(fields=["wallet", "bucket", "created_at", "id"], name="posting_wallet_time_idx")]

    def __str__(self) -> str:
        return f"{format_money(self.amount, self.currency_id)} {self.bucket}"
