"""The client summary staff decide on (client page, withdrawal review, back-office API), in a fixed number of queries.

Money figures come from the transactions the ledger service wrote: deposits count when completed, withdrawals
when approved or completed (the money left the wallet), refunded and charged-back deposits do not count.
Open positions are the client's counter, which the trading domain keeps; until trading exists it stays 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from crm.core.models import Activity
from crm.core.money import format_money
from crm.customers.models import Call, Comment, Customer, VerificationLevel
from crm.wallets.models import Transaction, Wallet

TIMELINE_LENGTH = 30
DEPOSITED = Q(type=Transaction.Type.DEPOSIT, status=Transaction.Status.COMPLETED)
WITHDRAWN = Q(type=Transaction.Type.WITHDRAWAL, status__in=[Transaction.Status.APPROVED, Transaction.Status.COMPLETED])
WITHDRAWAL_PENDING = Q(type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.PENDING)
# History rows the timeline shows from their own tables (with their text) instead.
ACTIVITY_SHOWN_ELSEWHERE = ("customer.commented", "customer.call_logged")


@dataclass(frozen=True)
class WalletLine:
    id: int
    number: str
    currency: str
    minor_units: int
    balance: Decimal
    on_hold: Decimal
    credit: Decimal
    is_demo: bool


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    minor_units: int
    deposits: Decimal
    withdrawals: Decimal
    pending_withdrawals: Decimal
    deposit_count: int

    @property
    def net_deposit(self) -> Decimal:
        return self.deposits - self.withdrawals


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    text: str
    by: str


@dataclass
class ClientSummary:
    customer: Customer
    wallets: list[WalletLine]
    totals: list[CurrencyTotals]
    ftd: Transaction | None
    allowed_operations: list[str]
    next_level: VerificationLevel | None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def open_positions(self) -> int:
        return self.customer.open_positions_count


def _wallet_lines(customer: Customer) -> list[WalletLine]:
    wallets = Wallet.objects.filter(customer=customer).select_related("currency").order_by("is_demo", "pk")
    return [
        WalletLine(w.pk, w.number, w.currency_id, w.currency.minor_units, w.balance, w.on_hold, w.credit, w.is_demo)
        for w in wallets
    ]


def _currency_totals(customer: Customer) -> list[CurrencyTotals]:
    zero = Decimal(0)
    rows = (
        Transaction.objects.filter(customer=customer)
        .values("currency_id", "currency__minor_units")
        .annotate(
            deposits=Sum("amount", filter=DEPOSITED),
            withdrawals=Sum("amount", filter=WITHDRAWN),
            pending=Sum("amount", filter=WITHDRAWAL_PENDING),
            deposit_count=Count("pk", filter=DEPOSITED),
        )
        .filter(Q(deposits__isnull=False) | Q(withdrawals__isnull=False) | Q(pending__isnull=False))
        .order_by("currency_id")
    )
    return [
        CurrencyTotals(
            row["currency_id"],
            row["currency__minor_units"],
            row["deposits"] or zero,
            row["withdrawals"] or zero,
            row["pending"] or zero,
            row["deposit_count"],
        )
        for row in rows
    ]


def _timeline(customer: Customer) -> list[TimelineEntry]:
    """Staff notes, calls, money movements and everything logged on the client, newest first."""
    entries: list[TimelineEntry] = []
    for comment in Comment.objects.filter(customer=customer).select_related("author")[:TIMELINE_LENGTH]:
        entries.append(TimelineEntry(comment.created_at, _("Comment"), comment.body, str(comment.author or "")))
    for call in Call.objects.filter(customer=customer).select_related("agent")[:TIMELINE_LENGTH]:
        text = f"{call.get_outcome_display()}: {call.note}" if call.note else call.get_outcome_display()
        entries.append(TimelineEntry(call.created_at, _("Call"), text, str(call.agent or "")))
    money = (
        Transaction.objects.filter(customer=customer)
        .select_related("currency")
        .order_by("-created_at", "-pk")[:TIMELINE_LENGTH]
    )
    for txn in money:
        text = f"{format_money(txn.amount, txn.currency)}, {txn.get_status_display().lower()}"
        entries.append(TimelineEntry(txn.created_at, txn.get_type_display(), text, ""))
    activities = (
        Activity.objects.for_target(customer)
        .exclude(action__in=ACTIVITY_SHOWN_ELSEWHERE)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:TIMELINE_LENGTH]
    )
    for activity in activities:
        entries.append(
            TimelineEntry(activity.created_at, _activity_label(activity), _activity_text(activity), _by(activity))
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:TIMELINE_LENGTH]


def _activity_label(activity: Activity) -> str:
    return activity.action.split(".", 1)[-1].replace("_", " ").capitalize()


def _activity_text(activity: Activity) -> str:
    if activity.changes:
        return ", ".join(sorted(activity.changes))
    data: dict[str, Any] = activity.data or {}
    return ", ".join(f"{key}: {value}" for key, value in data.items() if value and not key.endswith("_id"))


def _by(activity: Activity) -> str:
    return str(activity.actor) if activity.actor else activity.actor_repr


def client_summary(customer: Customer) -> ClientSummary:
    """Everything the summary shows for one client, in seven queries whatever the client's history."""
    customer = (
        Customer.objects.select_related("verification_level__next_level", "conversion_agent", "retention_agent")
        .filter(pk=customer.pk)
        .get()
    )
    level = customer.verification_level
    operations = dict(VerificationLevel.Operation.choices)
    ftd = (
        Transaction.objects.filter(customer=customer, is_ftd=True)
        .select_related("currency")
        .order_by("created_at")
        .first()
    )
    return ClientSummary(
        customer=customer,
        wallets=_wallet_lines(customer),
        totals=_currency_totals(customer),
        ftd=ftd,
        allowed_operations=[str(operations.get(op, op)) for op in (level.allowed_operations if level else [])],
        next_level=level.next_level if level else None,
        timeline=_timeline(customer),
    )
