"""Helpers for money tests: fund a wallet through the ledger, read the state a refused action must not change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm.core.models import OutboxEvent
from crm.wallets import services
from crm.wallets.models import JournalEntry, Transaction, Wallet


def fund(wallet: Wallet, amount: str | Decimal, *, key: str | None = None) -> Wallet:
    """Put money on a wallet with a correction entry (no transaction, no rules but the ledger's)."""
    services.post_entry(
        idempotency_key=key or f"test-fund:{wallet.pk}:{JournalEntry.objects.count()}",
        postings=[
            (wallet, Decimal(amount)),
            (services.system_account("adjustments", wallet.currency_id), -Decimal(amount)),
        ],
        kind="CORRECTION",
    )
    wallet.refresh_from_db()
    return wallet


def state(*wallets: Wallet) -> dict:
    """Balances, transaction statuses and outbox size: what a refused action must leave as it was."""
    fresh = Wallet.objects.filter(pk__in=[w.pk for w in wallets]).order_by("pk")
    return {
        "wallets": [(w.pk, w.balance, w.credit, w.on_hold) for w in fresh],
        "transactions": list(Transaction.objects.order_by("pk").values_list("pk", "status", "amount")),
        "entries": JournalEntry.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


def admin_statement_period() -> dict[str, str]:
    """The admin statement form's fields for yesterday to tomorrow (split date and time widgets)."""
    now = timezone.now()
    return {
        "start_0": (now - dt.timedelta(days=1)).strftime("%Y-%m-%d"),
        "start_1": "00:00:00",
        "end_0": (now + dt.timedelta(days=1)).strftime("%Y-%m-%d"),
        "end_1": "00:00:00",
    }
