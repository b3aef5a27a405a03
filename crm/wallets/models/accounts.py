"""Platforms, account groups (products) and wallets (000 Wallets, 004 Account)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.core.money import DecimalPlaces
from crm.customers.models import Customer
from crm.wallets.models.currencies import Currency

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder

MONEY: DecimalPlaces = {"max_digits": 28, "decimal_places": 8}


class Platform(TimeStampedModel):
    """Where a trading account lives (004 Platform); `personal` wallets live in the back office itself."""

    class Type(models.TextChoices):
        PERSONAL = "personal", _("Personal (back office)")
        WRAPPER = "wrapper", _("Wrapper")
        NEO = "NEO", _("NEO")
        PRO = "PRO", _("PRO")
        METATRADER4 = "MetaTrader4", _("MetaTrader 4")
        METATRADER5 = "MetaTrader5", _("MetaTrader 5")
        CTRADER = "cTrader", _("cTrader")
        MATCHTRADER = "MatchTrader", _("Match-Trader")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=50, unique=True)
    caption = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.PERSONAL)
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountGroup(TimeStampedModel):
    """A product: platform, group, currency and the leverages a client may pick (trading adds its settings)."""

    class Type(models.TextChoices):
        DEFAULT = "default", _("Default")
        PAYMENT = "payment", _("Payment")
        INVESTMENT = "investment", _("Investment")
        MASTER = "master", _("Master")

    name = models.CharField(max_length=100, unique=True)
    caption = models.CharField(max_length=100, blank=True)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="groups")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.DEFAULT)
    is_demo = models.BooleanField(default=False)
    leverages = models.JSONField(
        default=list, blank=True, help_text=_("Leverages a client may choose, e.g. [50, 100]")
    )
    default_leverage = models.PositiveIntegerField(null=True, blank=True)
    demo_start_amounts = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name


class WalletQuerySet(models.QuerySet["Wallet"]):
    def visible_to(self, user: PermissionHolder | None) -> WalletQuerySet:
        """Client wallets of the clients this staff user may see; system accounts only with view_all_customers."""
        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("customers.view_all_customers"):
            return self
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def of_customer(self, customer: Customer) -> WalletQuerySet:
        return self.filter(customer=customer)

    def for_list(self) -> WalletQuerySet:
        return self.select_related("customer", "currency", "platform", "group")

    def client_wallets(self) -> WalletQuerySet:
        return self.exclude(type=Wallet.Type.SYSTEM)


class Wallet(TimeStampedModel):
    """A client wallet or trading account, or a system account standing for the outside world.

    `balance`, `credit` and `on_hold` are caches of the postings, written only by the ledger
    service under a row lock. `balance` is what the client may spend; money of a pending
    withdrawal sits in `on_hold` until it is approved (leaves) or rejected (comes back).
    """

    class Type(models.TextChoices):
        PERSONAL = "personal", _("Personal wallet")
        TRADE = "trade", _("Trading account")
        DEMO = "demo", _("Demo account")
        PARTNER = "partner", _("Partner account")
        LIQUIDITY = "liquidity", _("Liquidity")
        EXCHANGE = "exchange", _("Exchange")
        EXTERNAL = "external", _("External")
        SYSTEM = "system", _("System account")

    class SystemCode(models.TextChoices):
        PSP_CLEARING = "psp_clearing", _("PSP clearing")
        BONUS_EXPENSE = "bonus_expense", _("Bonus expense")
        FEE_INCOME = "fee_income", _("Fee income")
        COMMISSIONS_PAYABLE = "commissions_payable", _("Commissions payable")
        FX = "fx", _("Currency exchange")
        ADJUSTMENTS = "adjustments", _("Corrections")
        DEMO_FUNDING = "demo_funding", _("Demo funding")
        LOYALTY = "loyalty", _("Coins exchange")
        REVERSAL_LOSSES = "reversal_losses", _("Refund and chargeback losses")
        TRADING = "trading", _("Trading counterparty (B-book)")

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="wallets")
    number = models.CharField(max_length=40, unique=True)
    caption = models.CharField(max_length=100, blank=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.PERSONAL, db_index=True)
    system_code = models.CharField(max_length=30, choices=SystemCode.choices, blank=True)
    platform = models.ForeignKey(Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(AccountGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="wallets")
    leverage = models.PositiveIntegerField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, db_index=True)
    is_enabled = models.BooleanField(default=True)
    can_deposit = models.BooleanField(default=True)
    can_withdraw = models.BooleanField(default=True)
    can_transfer = models.BooleanField(default=True)
    allow_negative = models.BooleanField(default=False, help_text=_("The balance may go below zero."))

    balance = models.DecimalField(**MONEY, default=0)
    credit = models.DecimalField(**MONEY, default=0)
    on_hold = models.DecimalField(**MONEY, default=0)
    # Filled by the trading domain from the platform; not part of the ledger.
    equity = models.DecimalField(**MONEY, null=True, blank=True)
    margin = models.DecimalField(**MONEY, null=True, blank=True)
    free_margin = models.DecimalField(**MONEY, null=True, blank=True)
    margin_level = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)

    objects = WalletQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system_code", "currency"],
                condition=~Q(system_code=""),
                name="one_system_account_per_currency",
            ),
            models.CheckConstraint(
                condition=Q(type="system", customer__isnull=True, system_code__gt="")
                | (~Q(type="system") & Q(customer__isnull=False, system_code="")),
                name="wallet_owner_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0, credit__gte=0, on_hold__gte=0),
                name="wallet_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["customer", "currency"], name="wallet_customer_idx")]
        permissions = [
            ("enable_wallet", "Can enable and disable wallets"),
            ("top_up_demo", "Can top up demo wallets"),
            ("view_statement", "Can see wallet statements"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.currency_id})"

    @property
    def is_system(self) -> bool:
        return self.type == self.Type.SYSTEM
