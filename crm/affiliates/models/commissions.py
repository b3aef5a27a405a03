"""Commission plans (000 "Commissions"), the referral actions they pay for, and the commission ledger."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.core.money import DecimalPlaces, format_money

MONEY: DecimalPlaces = {"max_digits": 28, "decimal_places": 8}
RATE: DecimalPlaces = {"max_digits": 28, "decimal_places": 12}


def normalize_codes(value: str | list | None, *, upper: bool = True) -> str:
    """A comma-separated list of codes as stored on rules ("GB,DE"): trimmed, de-duplicated, sorted."""
    items = value if isinstance(value, list | tuple) else str(value or "").replace(";", ",").split(",")
    codes = {str(item).strip() for item in items if str(item).strip()}
    return ",".join(sorted(code.upper() if upper else code for code in codes))


class CommissionModel(TimeStampedModel):
    """A commission plan: levels of rules, a hold period, grey labelling, and the plan its sub-IBs get."""

    name = models.CharField(max_length=100, unique=True)
    grey_labeling_enabled = models.BooleanField(default=False)
    sub_commission_model = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Given to the sub-IBs of affiliates on this plan."),
    )
    is_default = models.BooleanField(default=False, help_text=_("The plan of affiliates without one."))
    hold_days = models.PositiveSmallIntegerField(
        default=14, help_text=_("Days a commission stays pending before it can be approved (refund window).")
    )
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_commission_model"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CommissionLevel(models.Model):
    """One level of a plan: level 1 pays on the affiliate's own clients, level 2 on its sub-IBs' clients..."""

    commission_model = models.ForeignKey(CommissionModel, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["commission_model", "level"]
        constraints = [
            models.UniqueConstraint(fields=["commission_model", "level"], name="one_level_number_per_model"),
            models.CheckConstraint(condition=Q(level__gte=1), name="commission_level_from_one"),
        ]

    def __str__(self) -> str:
        return self.name or f"Level {self.level}"


class CommissionRule(models.Model):
    """What one level pays for one kind of action, with its limits (instruments, countries, holding time, cap)."""

    class Kind(models.TextChoices):
        CPA = "CPA", _("CPA on a qualifying first deposit")
        CPL = "CPL", _("CPL per qualified lead")
        REVENUE_SHARE = "REVENUE_SHARE", _("Revenue share of net deposits")
        LOT_REBATE = "LOT_REBATE", _("Rebate per lot")
        COMMISSION_SHARE = "COMMISSION_SHARE", _("Share of trading commission")
        SPREAD_SHARE = "SPREAD_SHARE", _("Share of spread")

    FIXED_KINDS = (Kind.CPA, Kind.CPL, Kind.LOT_REBATE)
    TRADING_KINDS = (Kind.LOT_REBATE, Kind.COMMISSION_SHARE, Kind.SPREAD_SHARE)

    level = models.ForeignKey(CommissionLevel, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("CPA/CPL: paid per action; rebate: paid per lot.")
    )
    percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text=_("Revenue, commission or spread share.")
    )
    currency = models.ForeignKey(
        "wallets.Currency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Currency of the fixed amount, the minimum deposit and the cap."),
    )
    min_deposit = models.DecimalField(**MONEY, null=True, blank=True, help_text=_("CPA: qualifying deposit."))
    countries = models.CharField(max_length=1000, blank=True, help_text=_("Client countries, e.g. GB,DE; empty: all."))
    instruments = models.CharField(max_length=2000, blank=True, help_text=_("Symbols, e.g. EURUSD; empty: all."))
    instrument_groups = models.CharField(max_length=1000, blank=True, help_text=_("e.g. FX,METALS; empty: all."))
    min_holding_seconds = models.PositiveIntegerField(
        default=0, help_text=_("Positions held shorter earn nothing (no scalping commissions).")
    )
    cap_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text=_("Most one action pays."))
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="rule_amount_positive"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100), name="rule_percent_range"
            ),
        ]

    def __str__(self) -> str:
        if self.percent is not None:
            value = f"{self.percent.normalize():f}%"
        elif self.amount is not None and self.currency_id:
            value = format_money(self.amount, self.currency_id)
        else:
            value = "" if self.amount is None else f"{self.amount.normalize():f}"
        return f"{self.kind} {value}".strip()

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        super().save(*args, **kwargs)

    def normalize(self) -> None:
        """Code lists as the commission run matches them: upper case, comma-separated, sorted."""
        self.countries = normalize_codes(self.countries)
        self.instruments = normalize_codes(self.instruments)
        self.instrument_groups = normalize_codes(self.instrument_groups)

    def clean(self) -> None:
        super().clean()
        self.normalize()
        errors = {}
        if self.kind in self.FIXED_KINDS:
            if self.amount is None:
                errors["amount"] = _("This kind pays a fixed amount.")
            if self.currency_id is None:
                errors["currency"] = _("Give the currency of the amount.")
        elif self.percent is None:
            errors["percent"] = _("This kind pays a percentage.")
        if (self.min_deposit is not None or self.cap_amount is not None) and self.currency_id is None:
            errors["currency"] = _("Give the currency of the minimum deposit and the cap.")
        if errors:
            raise ValidationError(errors)


class ActionType(models.TextChoices):
    """What a referral did (the ledger's `actionType`)."""

    FTD = "FTD", _("First deposit")
    DEPOSIT = "DEPOSIT", _("Deposit")
    WITHDRAWAL = "WITHDRAWAL", _("Withdrawal")
    LEAD_QUALIFIED = "LEAD_QUALIFIED", _("Lead qualified")
    POSITION_CLOSED = "POSITION_CLOSED", _("Position closed")
    SPOT_TRADE = "SPOT_TRADE", _("Spot trade")
    REFUND = "REFUND", _("Refund")
    CHARGEBACK = "CHARGEBACK", _("Chargeback")


class ReferralAction(models.Model):
    """A commissionable fact about a referral, stored once from its domain event; the commission run reads these.

    `affiliate` is the direct introducer when the action happened, so a later reassignment does not move
    commissions already earned. A refund or chargeback names the deposit it takes back in `reverses_source_id`.
    """

    Type = ActionType

    action_type = models.CharField(max_length=20, choices=ActionType.choices)
    source_id = models.BigIntegerField(help_text=_("Id of the transaction, lead or position in its domain."))
    reverses_source_id = models.BigIntegerField(null=True, blank=True)
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    lead = models.ForeignKey("sales.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    country = models.CharField(max_length=2, blank=True)
    amount = models.DecimalField(**MONEY, default=0, help_text=_("Deposit, withdrawal or refunded amount."))
    currency = models.CharField(max_length=10, blank=True)
    instrument = models.CharField(max_length=50, blank=True)
    instrument_group = models.CharField(max_length=50, blank=True)
    lots = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    trading_commission = models.DecimalField(**MONEY, default=0)
    spread = models.DecimalField(**MONEY, default=0, help_text=_("Spread revenue of the position."))
    holding_seconds = models.BigIntegerField(default=0)
    occurred_at = models.DateTimeField()
    is_processed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["action_type", "source_id"], name="one_action_per_source")]
        indexes = [
            models.Index(fields=["id"], name="action_unprocessed_idx", condition=Q(is_processed=False)),
            models.Index(fields=["customer", "action_type"], name="action_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} #{self.source_id}"


class CommissionLedgerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommissionLedgerQuerySet:
        """Records of the affiliates this staff user may see."""
        from crm.affiliates.models.program import Affiliate

        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("affiliates.view_all_affiliates"):
            return self
        return self.filter(introducer__in=Affiliate.objects.visible_to(user))

    def for_list(self) -> CommissionLedgerQuerySet:
        return self.select_related(
            "introducer__customer", "referral", "rule__level__commission_model", "action", "admin", "currency"
        )

    def with_flags(self) -> CommissionLedgerQuerySet:
        """`referral_flagged`: whether the referral has an open review flag (its commissions wait for the review)."""
        from crm.affiliates.models.program import AttributionFlag

        open_flag = AttributionFlag.objects.filter(
            customer_id=OuterRef("referral_id"), status=AttributionFlag.Status.OPEN
        )
        return self.annotate(referral_flagged=Exists(open_flag))

    def payable(self) -> CommissionLedgerQuerySet:
        """Approved, not yet paid: what the next payout takes (clawbacks included)."""
        return self.filter(status=CommissionLedger.Status.APPROVED, payout_request__isnull=True)


class CommissionLedger(TimeStampedModel):
    """One commission earned (or clawed back) by one affiliate for one action at one level of the tree.

    Fields of 000 "Update a commission ledger". Lifecycle: PENDING (held until `hold_until`) -> APPROVED ->
    PAIDOUT, or REJECTED. A PAIDOUT record never changes; a refund or chargeback after payout becomes a
    negative entry (`reverses`) that the next payout takes. One record per (rule, action, level, introducer):
    running the calculation twice creates nothing new.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        APPROVED = "APPROVED", _("Approved")
        PAIDOUT = "PAIDOUT", _("Paid out")
        REJECTED = "REJECTED", _("Rejected")

    CommissionType = CommissionRule.Kind
    ActionType = ActionType

    introducer = models.ForeignKey("affiliates.Affiliate", on_delete=models.PROTECT, related_name="ledger")
    referral = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    level = models.PositiveSmallIntegerField(help_text=_("1: the affiliate's own client; 2: a sub-IB's client..."))
    rule = models.ForeignKey(CommissionRule, on_delete=models.PROTECT, related_name="+", db_index=False)
    action = models.ForeignKey(ReferralAction, on_delete=models.PROTECT, related_name="commissions", db_index=False)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="clawback", db_index=False
    )
    commission_type = models.CharField(max_length=20, choices=CommissionRule.Kind.choices)
    action_type = models.CharField(max_length=20, choices=ActionType.choices)
    action_details = models.CharField(max_length=255, blank=True)
    commission_amount = models.DecimalField(**MONEY)
    corrected_commission_amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.ForeignKey("wallets.Currency", on_delete=models.PROTECT, related_name="+", db_index=False)
    base_amount = models.DecimalField(**MONEY, default=0, help_text=_("What the rule applied to."))
    base_currency = models.CharField(max_length=10, blank=True)
    exchange_rate = models.DecimalField(**RATE, default=1, help_text=_("Rule/base currency to the affiliate's."))
    action_timestamp = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    hold_until = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=255, blank=True)
    payout_request = models.ForeignKey(
        "affiliates.PayoutRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    payout_at = models.DateTimeField(null=True, blank=True)
    admin_comments = models.TextField(blank=True)
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CommissionLedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-action_timestamp", "-id"]
        verbose_name = _("commission ledger record")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "action", "level", "introducer"], name="one_commission_per_rule_action_level"
            ),
            models.CheckConstraint(
                condition=~Q(status="PAIDOUT") | Q(payout_at__isnull=False, payout_request__isnull=False),
                name="paid_commission_has_payout",
            ),
        ]
        indexes = [
            models.Index(fields=["introducer", "status", "-action_timestamp"], name="ledger_introducer_idx"),
            models.Index(fields=["status", "hold_until"], name="ledger_queue_idx"),
            models.Index(fields=["referral", "-action_timestamp"], name="ledger_referral_idx"),
            models.Index(fields=["action"], name="ledger_action_idx"),
        ]
        permissions = [
            ("review_commission", "Can approve, reject and correct commissions"),
            ("run_commissions", "Can run the commission calculation"),
        ]

    def __str__(self) -> str:
        return f"{self.commission_type} {self.action_type} #{self.pk}"

    @property
    def payable_amount(self):
        """The amount paid: the staff correction when there is one."""
        if self.corrected_commission_amount is not None:
            return self.corrected_commission_amount
        return self.commission_amount
