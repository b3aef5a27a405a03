"""Payment providers and methods (000 Payment Providers, 004 Deposit/Withdrawal Method and Group),
whitelisted withdrawal addresses (004) and the raw provider webhooks."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.customers.models import Customer, visible_client_rows
from crm.wallets.models import MONEY, Currency, Transaction


class Direction(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class PaymentProvider(TimeStampedModel):
    """A payment service provider behind an adapter; its credentials live in the settings store, encrypted."""

    code = models.SlugField(max_length=50, unique=True, help_text=_("Used in /webhooks/<code>/ and setting keys."))
    name = models.CharField(max_length=100)
    adapter = models.CharField(max_length=50, help_text=_("Which adapter talks to it, e.g. sandbox."))
    is_enabled = models.BooleanField(default=True)
    enabled_countries = models.JSONField(default=list, blank=True, help_text=_("ISO codes; empty means everywhere."))
    min_deposit = models.DecimalField(**MONEY, null=True, blank=True)
    max_deposit = models.DecimalField(**MONEY, null=True, blank=True)
    min_withdrawal = models.DecimalField(**MONEY, null=True, blank=True)
    max_withdrawal = models.DecimalField(**MONEY, null=True, blank=True)
    predefined_deposit_amounts = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class PaymentMethodGroup(TimeStampedModel):
    """A deposit or withdrawal group shown to clients (004 Deposit Group / Withdrawal Group)."""

    direction = models.CharField(max_length=10, choices=Direction.choices)
    name = models.CharField(max_length=100, help_text=_("Back-office name"))
    caption = models.CharField(max_length=100, blank=True, help_text=_("Shown to clients"))
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["direction", "name"]
        constraints = [models.UniqueConstraint(fields=["direction", "name"], name="one_method_group_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.direction})"


class PaymentMethodQuerySet(models.QuerySet["PaymentMethod"]):
    def for_list(self) -> PaymentMethodQuerySet:
        return self.select_related("provider").prefetch_related("groups", "limits__currency")

    def offered(self, *, direction: str, country: str, currency: str | None = None) -> PaymentMethodQuerySet:
        """Enabled methods of enabled providers in the client's country (empty country lists mean everywhere)."""
        methods = self.filter(direction=direction, is_enabled=True, provider__is_enabled=True)
        if currency:
            methods = methods.filter(limits__currency_id=currency)
        rows = [
            m.pk
            for m in methods.select_related("provider")
            if _serves(m.countries, country) and _serves(m.provider.enabled_countries, country)
        ]
        return self.filter(pk__in=rows).order_by("sort_order", "name")


def _serves(countries: list[str], country: str) -> bool:
    return not countries or (country or "").upper() in {c.upper() for c in countries}


class PaymentMethod(TimeStampedModel):
    """A way to deposit or withdraw through a provider, with its countries, currencies, limits and fees."""

    provider = models.ForeignKey(PaymentProvider, on_delete=models.PROTECT, related_name="methods")
    direction = models.CharField(max_length=10, choices=Direction.choices, db_index=True)
    name = models.CharField(max_length=100)
    caption = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=255, blank=True)
    time_to_fund = models.CharField(max_length=100, blank=True, help_text=_("e.g. Instant, 1-3 days"))
    groups = models.ManyToManyField(PaymentMethodGroup, blank=True, related_name="methods")
    countries = models.JSONField(default=list, blank=True, help_text=_("ISO codes; empty means the provider's."))
    predefined_amounts = models.JSONField(default=list, blank=True)
    needs_address = models.BooleanField(default=False, help_text=_("Withdrawals need a wallet address (crypto)."))
    # Commission the broker charges (vendor) on top of the provider's own.
    fee_percent = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    fee_fixed = models.DecimalField(**MONEY, default=Decimal(0))
    fee_min = models.DecimalField(**MONEY, null=True, blank=True)
    fee_max = models.DecimalField(**MONEY, null=True, blank=True)
    provider_fee_percent = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    provider_fee_fixed = models.DecimalField(**MONEY, default=Decimal(0))
    hide_amount = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)

    objects = PaymentMethodQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(fee_percent__gte=0, fee_fixed__gte=0), name="method_fee_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.direction})"


class PaymentMethodCurrency(models.Model):
    """A currency a method takes, with its minimum and maximum amounts."""

    method = models.ForeignKey(PaymentMethod, on_delete=models.CASCADE, related_name="limits")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    min_amount = models.DecimalField(**MONEY, null=True, blank=True)
    max_amount = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["currency"]
        constraints = [models.UniqueConstraint(fields=["method", "currency"], name="one_limit_per_method_currency")]

    def __str__(self) -> str:
        return f"{self.method_id} {self.currency_id}"


class WhitelistedAddressQuerySet(models.QuerySet["WhitelistedAddress"]):
    def visible_to(self, user) -> WhitelistedAddressQuerySet:
        return visible_client_rows(self, user)


class WhitelistedAddress(TimeStampedModel):
    """A withdrawal address a client may send crypto to (004 Whitelisted Address)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="whitelisted_addresses")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    wallet_address = models.CharField(max_length=200)
    destination_tag = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=100, blank=True)
    is_enabled = models.BooleanField(default=True)

    objects = WhitelistedAddressQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("whitelisted addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "currency", "wallet_address", "destination_tag"], name="one_whitelist_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.wallet_address}"


class ProviderPayment(TimeStampedModel):
    """The provider's side of one deposit or payout: our reference, theirs, and where the client pays."""

    provider = models.ForeignKey(PaymentProvider, on_delete=models.PROTECT, related_name="payments")
    method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="payments")
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="provider_payment")
    reference = models.CharField(max_length=64, unique=True, help_text=_("Our reference, sent to the provider."))
    provider_reference = models.CharField(max_length=200, blank=True)
    checkout_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def amount(self) -> Decimal:
        return self.transaction.amount


class WebhookEvent(models.Model):
    """One provider callback, stored raw before anything else, with the outcome of its signature check."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        REJECTED = "rejected", _("Rejected (bad signature)")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")
        CONFLICT = "conflict", _("Contradicts the recorded outcome")

    provider = models.ForeignKey(PaymentProvider, on_delete=models.PROTECT, related_name="webhooks")
    event_id = models.CharField(max_length=200, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    # Our reference of the payment or payout it is about, once processed.
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    signature_valid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the sweep sends it again if it is still unprocessed (crm.core.work).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Only authentic deliveries are de-duplicated: a forgery reusing a real id is still recorded.
            models.UniqueConstraint(
                fields=["provider", "event_id"], condition=Q(signature_valid=True), name="one_webhook_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(signature_valid=True, processed_at=None),
                name="webhook_pending_idx",
            )
        ]
        permissions = [("reprocess_webhookevent", "Can process a provider webhook again, with a reason")]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.event_id or '-'}"


class PayoutQuerySet(models.QuerySet["Payout"]):
    def visible_to(self, user) -> PayoutQuerySet:
        """Payouts of the withdrawals this staff user may see."""
        return self.filter(transaction__in=Transaction.objects.visible_to(user))

    def for_list(self) -> PayoutQuerySet:
        return self.select_related("provider", "currency", "transaction__customer", "reviewed_by")

    def needing_finance(self) -> PayoutQuerySet:
        """Payouts Finance must act on: stuck ones (ATTENTION) and failed ones nobody has reviewed yet."""
        return self.filter(
            Q(status=Payout.Status.ATTENTION) | Q(status=Payout.Status.FAILED, reviewed_at__isnull=True)
        )


class Payout(TimeStampedModel):
    """An approved withdrawal paid out through its provider: the stored unit of work a task (or the sweep) sends.

    The row is written in the transaction that learns of the approval, before any provider call; our
    `reference` is the idempotency key the provider receives, so the same payout sent again is one payout.
    States, and who moves them:

        QUEUED  --task claims it (committed before the provider call)-->  SENDING
        SENDING --provider accepted it (its reference stored)-->           SENT
        SENDING --provider unreachable: sent again later, same reference--> QUEUED
        SENDING --provider refused it-->                                   FAILED   (money back to the wallet)
        SENDING, SENT, ATTENTION --provider webhook payout.completed-->    COMPLETED
        SENDING, SENT, ATTENTION, COMPLETED --provider webhook payout.failed--> FAILED (money back)
        QUEUED, SENDING --too many attempts, or a provider that does not pay out--> ATTENTION
        ATTENTION --Finance: send again--> QUEUED;  --paid by hand--> COMPLETED;  --failed--> FAILED

    FAILED payouts and ATTENTION ones are the Finance queue (`needing_finance`) until reviewed.
    A task lost on the way (worker killed, broker down) leaves a QUEUED or stale SENDING row that the
    periodic sweep (`sweep_payouts_task`) sends again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent to the provider")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        ATTENTION = "attention", _("Needs Finance")

    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="payout")
    provider = models.ForeignKey(
        PaymentProvider, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    reference = models.CharField(
        max_length=64, unique=True, help_text=_("Our reference, the provider's idempotency key.")
    )
    provider_reference = models.CharField(max_length=200, blank=True, db_index=True)
    amount = models.DecimalField(**MONEY, help_text=_("What the client receives: the withdrawal less its fee."))
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text=_("When a task last took it to send."))
    # When the sweep takes it again if it is still queued or sending (crm.core.work).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="payout_status_idx")]
        permissions = [("manage_payout", "Can send payouts again and settle them by hand")]

    def __str__(self) -> str:
        return f"Payout {self.reference[:12]}"


class ProviderContradictionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProviderContradictionQuerySet:
        """Contradictions about the transactions this staff user may see."""
        return self.filter(transaction__in=Transaction.objects.visible_to(user))

    def for_list(self) -> ProviderContradictionQuerySet:
        return self.select_related("webhook__provider", "transaction__customer", "reviewed_by")

    def to_review(self) -> ProviderContradictionQuerySet:
        return self.filter(reviewed_at__isnull=True)


class ProviderContradiction(models.Model):
    """A provider status that contradicts the outcome we recorded (succeeded after failed ...): no money moved;
    Finance's to look at, with both payloads (the recorded outcome's webhook, when a webhook set it)."""

    webhook = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="contradictions")
    earlier_webhook = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="contradicted_by"
    )
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="provider_contradictions")
    recorded_status = models.CharField(max_length=20, help_text=_("Our status when the provider's event came."))
    reported_event = models.CharField(max_length=100)
    recorded_payload = models.JSONField(default=dict, blank=True)
    reported_payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = ProviderContradictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_providercontradiction", "Can mark provider contradictions as reviewed")]

    def __str__(self) -> str:
        return f"{self.reported_event} on {self.recorded_status} #{self.transaction_id}"
