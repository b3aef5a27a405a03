"""Spot trading: what a trading account holds of each asset, and the fills of spot orders (001 v3 spot orders).

A spot market buys or sells its base asset (`Instrument.margin_currency`) for its quote asset
(`profit_currency`). The account holds its own currency in its own wallet; every other asset it holds sits in a
wallet of the ledger of its own (type `exchange`, linked here), so asset balances move only through `post_entry`
and never go below zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.trading.models.config import PRICE, Instrument
from crm.trading.models.trades import Order, Side, _visible
from crm.wallets.models import MONEY, Currency, Wallet


class SpotHoldingQuerySet(models.QuerySet["SpotHolding"]):
    def visible_to(self, user: Any) -> SpotHoldingQuerySet:
        return _visible(self, user)  # type: ignore[return-value]

    def for_list(self) -> SpotHoldingQuerySet:
        return self.select_related("account", "account__customer", "wallet")


class SpotHolding(models.Model):
    """A trading account's balance of one asset other than its own currency: a ledger wallet of its own."""

    account = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="spot_holdings")
    wallet = models.OneToOneField(Wallet, on_delete=models.PROTECT, related_name="spot_holding")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SpotHoldingQuerySet.as_manager()

    class Meta:
        ordering = ["account", "currency"]
        constraints = [models.UniqueConstraint(fields=["account", "currency"], name="one_spot_holding_per_asset")]

    def __str__(self) -> str:
        return f"Spot holding #{self.pk}"


class SpotFillQuerySet(models.QuerySet["SpotFill"]):
    def visible_to(self, user: Any) -> SpotFillQuerySet:
        return _visible(self, user)  # type: ignore[return-value]

    def for_list(self) -> SpotFillQuerySet:
        return self.select_related("account", "account__customer", "instrument", "order")


class SpotFill(models.Model):
    """The execution of a spot order: base asset bought or sold for quote asset, with its fee in the quote asset.

    Its id is the execution id: the journal entry that moves the assets is keyed by it, so it is posted once.
    """

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="spot_fill")
    account = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="spot_fills")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    base_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    quote_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    base_amount = models.DecimalField(**MONEY, help_text=_("Base asset bought or sold."))
    quote_amount = models.DecimalField(**MONEY, help_text=_("Quote asset paid or received, before the fee."))
    price = models.DecimalField(**PRICE, help_text=_("Bid or ask with the group's markup."))
    fee = models.DecimalField(**MONEY, default=Decimal(0), help_text=_("In the quote asset."))
    created_at = models.DateTimeField(db_index=True)

    objects = SpotFillQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_amount__gt=0, quote_amount__gt=0, fee__gte=0), name="spot_fill_amounts_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Spot fill #{self.pk}"
