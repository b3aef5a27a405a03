"""Money admin, split by page: wallets, transactions and the journal, configuration tables."""

from typing import cast

from django.contrib import admin
from unfold.admin import ModelAdmin

from crm.customers.models import Customer
from crm.wallets.admin.config import (
    AccountGroupAdmin,
    CurrencyAdmin,
    CurrencyConversionAdmin,
    ExchangeRateAdmin,
    PlatformAdmin,
)
from crm.wallets.admin.transactions import JournalEntryAdmin, PostingAdmin, TransactionAdmin
from crm.wallets.admin.wallets import WalletAdmin

# The client page shows the client summary (balances, deposits, withdrawals, timeline), which reads wallets:
# this layer, above clients, puts it there; the withdrawal review shows it too (TransactionAdmin).
customer_admin = cast("ModelAdmin[Customer]", admin.site.get_model_admin(Customer))
customer_admin.change_form_outer_before_template = "admin/wallets/customer_summary.html"

__all__ = [
    "AccountGroupAdmin",
    "CurrencyAdmin",
    "CurrencyConversionAdmin",
    "ExchangeRateAdmin",
    "JournalEntryAdmin",
    "PlatformAdmin",
    "PostingAdmin",
    "TransactionAdmin",
    "WalletAdmin",
]
