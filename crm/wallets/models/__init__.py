"""Wallets models: currencies and rates, accounts, the journal and transactions."""

from crm.wallets.models.accounts import MONEY, AccountGroup, Platform, Wallet, WalletQuerySet
from crm.wallets.models.currencies import Currency, CurrencyConversion, ExchangeRate
from crm.wallets.models.ledger import BUCKET_COLUMNS, Bucket, JournalEntry, Posting
from crm.wallets.models.transactions import Transaction, TransactionQuerySet

__all__ = [
    "BUCKET_COLUMNS",
    "MONEY",
    "AccountGroup",
    "Bucket",
    "Currency",
    "CurrencyConversion",
    "ExchangeRate",
    "JournalEntry",
    "Platform",
    "Posting",
    "Transaction",
    "TransactionQuerySet",
    "Wallet",
    "WalletQuerySet",
]
