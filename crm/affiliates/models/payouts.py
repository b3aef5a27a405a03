"""Payout wallets and payout requests (000 "Commissions" payout operations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.affiliates.models.commissions import MONEY
from crm.core.models import TimeStampedModel


class PayoutWallet(TimeStampedModel):
    """A wallet of the affiliate's own client account that its commissions are paid into."""

    affiliate = models.ForeignKey("affiliates.Affiliate", on_delete=models.CASCADE, related_name="payout_wallets")
    wallet = models.ForeignKey("wallets.Wallet", on_delete=models.PROTECT, related_name="+")
    is_default = models.BooleanField(default=False, help_text=_("Used by the automatic monthly payout."))

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["affiliate", "wallet"], name="one_payout_wallet_per_wallet"),
            models.UniqueConstraint(
                fields=["affiliate"], condition=Q(is_default=True), name="one_default_payout_wallet"
            ),
        ]

    def __str__(self) -> str:
        return f"payout wallet #{self.pk}"


class PayoutRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> PayoutRequestQuerySet:
        """Requests of the affiliates this staff user may see."""
        from crm.affiliates.models.program import Affiliate

        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("affiliates.view_all_affiliates"):
            return self
        return self.filter(introducer__in=Affiliate.objects.visible_to(user))

    def for_list(self) -> PayoutRequestQuerySet:
        return self.select_related("introducer__customer", "payout_wallet__wallet", "transaction", "admin")


class PayoutRequest(TimeStampedModel):
    """An affiliate's request to be paid its approved commissions; approved with a ledger transfer, or rejected.

    The amount is fixed when the request is created (the approved records it takes, clawbacks included);
    one pending request per affiliate at a time.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")

    introducer = models.ForeignKey("affiliates.Affiliate", on_delete=models.PROTECT, related_name="payout_requests")
    payout_wallet = models.ForeignKey(PayoutWallet, on_delete=models.PROTECT, related_name="requests")
    amount = models.DecimalField(**MONEY)
    currency = models.ForeignKey("wallets.Currency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    is_automatic = models.BooleanField(default=False)
    requested_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=255, blank=True)
    transaction = models.OneToOneField(
        "wallets.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payout_request"
    )
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PayoutRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["introducer"], condition=Q(status="PENDING"), name="one_pending_payout_request"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]
        permissions = [("approve_payoutrequest", "Can approve and reject payout requests")]

    def __str__(self) -> str:
        return f"payout #{self.pk}"
