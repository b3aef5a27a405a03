"""Money movements as the people involved see them (000 Transactions), with who and when per step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.customers.models import Customer
from crm.wallets.models.accounts import MONEY, Wallet
from crm.wallets.models.currencies import Currency

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder


class TransactionQuerySet(models.QuerySet["Transaction"]):
    def visible_to(self, user: PermissionHolder | None) -> TransactionQuerySet:
        """Transactions of the clients this staff user may see."""
        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("customers.view_all_customers"):
            return self
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def for_list(self) -> TransactionQuerySet:
        return self.select_related(
            "customer", "wallet", "counter_wallet", "requested_by", "created_by", "approved_by", "second_approved_by"
        )

    def pending(self) -> TransactionQuerySet:
        return self.filter(status=Transaction.Status.PENDING)

    def touching(self, wallet: Wallet) -> TransactionQuerySet:
        return self.filter(Q(wallet=wallet) | Q(counter_wallet=wallet))


class Transaction(TimeStampedModel):
    """A deposit, withdrawal, transfer, bonus, correction, fee or payout, moving through its status machine."""

    class Type(models.TextChoices):
        CORRECTION = "CORRECTION", _("Correction")
        BONUS = "BONUS", _("Bonus")
        DEPOSIT = "DEPOSIT", _("Deposit")
        WITHDRAWAL = "WITHDRAWAL", _("Withdrawal")
        DEPOSIT_BONUS = "DEPOSIT_BONUS", _("Deposit bonus")
        AFFILIATE_TRANSFER = "AFFILIATE_TRANSFER", _("Affiliate transfer")
        FEE = "FEE", _("Fee")
        COINS_EXCHANGE = "COINS_EXCHANGE", _("Coins exchange")
        WALLET_TRANSFER = "WALLET_TRANSFER", _("Wallet transfer")
        COMMISSION_PAYOUT = "COMMISSION_PAYOUT", _("Commission payout")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REFUNDED = "refunded", _("Refunded")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        CHARGED_BACK = "charged_back", _("Charged back")

    type = models.CharField(max_length=20, choices=Type.choices, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="transactions")
    # The other client wallet of a transfer.
    counter_wallet = models.ForeignKey(Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY, help_text=_("Always positive; the type says the direction."))
    original_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Before an approver changed it.")
    )
    fee = models.DecimalField(**MONEY, default=0)
    add_to_credit = models.BooleanField(default=False, help_text=_("Moves the credit line, not the balance."))
    is_increase = models.BooleanField(default=True, help_text=_("Corrections: adds to the wallet or takes away."))
    target_amount = models.DecimalField(**MONEY, null=True, blank=True)
    target_currency = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    exchange_rate = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    is_ftd = models.BooleanField(_("FTD"), default=False, help_text=_("The client's first deposit."))

    # Payment details (payments fills them; plain values so this layer does not import payments).
    method = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=50, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True, db_index=True)
    wallet_address = models.CharField(max_length=200, blank=True)
    destination_tag = models.CharField(max_length=100, blank=True)
    comment = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=255, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    # The caller's idempotency key of the request that made this movement (unique per client).
    request_key = models.CharField(max_length=100, blank=True)

    # Who and when, per step
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refunded_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="transaction_fee_not_negative"),
            # The first deposit is marked once per client, whatever races.
            models.UniqueConstraint(fields=["customer"], condition=Q(is_ftd=True), name="one_ftd_per_customer"),
            models.UniqueConstraint(
                fields=["customer", "request_key"], condition=~Q(request_key=""), name="one_movement_per_request_key"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "type", "-created_at"], name="transaction_queue_idx"),
            models.Index(fields=["customer", "type", "created_at"], name="transaction_customer_idx"),
            models.Index(fields=["wallet", "status"], name="transaction_wallet_idx"),
        ]
        permissions = [
            ("approve_transaction", "Can approve and reject withdrawals and pending movements"),
            ("refund_transaction", "Can refund approved withdrawals"),
            ("create_manual_transaction", "Can enter deposits, corrections, bonuses and fees by hand"),
            ("export_transaction", "Can export transactions"),
        ]

    def __str__(self) -> str:
        # The type's label straight from the enum: get_type_display() rebuilds the choices' lookup on every call,
        # and every movement's activity row names its transaction.
        try:
            label = str(self.Type(self.type).label)
        except ValueError:
            label = str(self.type)
        return f"{label} #{self.pk}"

    @property
    def approvers(self) -> set[int]:
        return {pk for pk in (self.approved_by_id, self.second_approved_by_id) if pk}
