"""Money admin, split by page: wallets, transactions and the journal, configuration tables."""

from crm.wallets.admin.config import (
    AccountGroupAdmin,
    CurrencyAdmin,
    CurrencyConversionAdmin,
    ExchangeRateAdmin,
    PlatformAdmin,
)
from crm.wallets.admin.transactions import JournalEntryAdmin, PostingAdmin, TransactionAdmin
from crm.wallets.admin.wallets import WalletAdmin

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
