"""Reads over wallets and the ledger: balances, statements and the invariant checks of verify_ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from crm.core.money import format_money
from crm.wallets.models import BUCKET_COLUMNS, Bucket, JournalEntry, Posting, Wallet


def wallet_balance(wallet: Wallet, *, bucket: str = Bucket.BALANCE) -> Decimal:
    """A wallet's bucket as the sum of its postings (the cached column must equal it)."""
    total = Posting.objects.filter(wallet=wallet, bucket=bucket).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@dataclass(frozen=True)
class StatementLine:
    created_at: dt.datetime
    entry_id: int
    kind: str
    description: str
    transaction_id: int | None
    amount: Decimal
    balance_after: Decimal


@dataclass
class Statement:
    wallet: Wallet
    start: dt.datetime
    end: dt.datetime
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total_in(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount > 0), Decimal(0))

    @property
    def total_out(self) -> Decimal:
        return sum((-line.amount for line in self.lines if line.amount < 0), Decimal(0))


def statement_postings(wallet: Wallet, *, start: dt.datetime, end: dt.datetime) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(wallet=wallet, bucket=Bucket.BALANCE, created_at__gte=start, created_at__lt=end)
        .select_related("entry")
        .order_by("created_at", "id")
    )


def balance_before(wallet: Wallet, moment: dt.datetime) -> Decimal:
    """The balance just before `moment`: the running balance of the last posting before it."""
    last = (
        Posting.objects.filter(wallet=wallet, bucket=Bucket.BALANCE, created_at__lt=moment)
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return last or Decimal(0)


def statement(wallet: Wallet, *, start: dt.datetime, end: dt.datetime) -> Statement:
    """Opening balance, every movement of the balance in [start, end), and the closing balance."""
    opening = balance_before(wallet, start)
    lines = [
        StatementLine(
            created_at=p.created_at,
            entry_id=p.entry_id,
            kind=p.entry.kind,
            description=p.entry.description,
            transaction_id=p.entry.transaction_id,
            amount=p.amount,
            balance_after=p.balance_after,  # type: ignore[arg-type]  # set on every posting to the balance
        )
        for p in statement_postings(wallet, start=start, end=end)
    ]
    closing = lines[-1].balance_after if lines else opening
    return Statement(
        wallet=wallet, start=start, end=end, opening_balance=opening, closing_balance=closing, lines=lines
    )


# Invariants (manage.py verify_ledger) ------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    rule: str
    detail: str


def unbalanced_entries() -> Iterator[Breach]:
    """Entries whose postings do not sum to zero in some currency."""
    rows = (
        Posting.objects.values("entry_id", "currency_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("entry_id")
    )
    for row in rows.iterator(chunk_size=2000):
        total = format_money(row["total"], row["currency_id"])
        yield Breach("entry_balanced", f"entry #{row['entry_id']} sums to {total}")


def thin_entries() -> Iterator[Breach]:
    """Entries with fewer than two postings."""
    rows = JournalEntry.objects.annotate(n=Count("postings")).filter(n__lt=2).values_list("pk", "n")
    for pk, n in rows.iterator(chunk_size=2000):
        yield Breach("entry_has_two_postings", f"entry #{pk} has {n} posting(s)")


def foreign_currency_postings() -> Iterator[Breach]:
    rows = Posting.objects.exclude(currency_id=F("wallet__currency_id")).values_list("pk", "wallet_id")
    for pk, wallet_id in rows.iterator(chunk_size=2000):
        yield Breach("posting_currency", f"posting #{pk} is not in the currency of wallet #{wallet_id}")


def cached_balance_mismatches() -> Iterator[Breach]:
    """Client wallets whose cached balance, credit or hold differ from the sum of their postings."""
    sums = {
        column: Sum("postings__amount", filter=Q(postings__bucket=bucket), default=Decimal(0))
        for bucket, column in BUCKET_COLUMNS.items()
    }
    wallets = (
        Wallet.objects.client_wallets()
        .annotate(**{f"sum_{column}": expression for column, expression in sums.items()})
        .values(
            "pk", "number", "currency_id", *BUCKET_COLUMNS.values(), *(f"sum_{c}" for c in BUCKET_COLUMNS.values())
        )
        .order_by("pk")
    )
    for row in wallets.iterator(chunk_size=2000):
        for column in BUCKET_COLUMNS.values():
            if row[column] != row[f"sum_{column}"]:
                yield Breach(
                    "cached_balance",
                    f"wallet {row['number']} {column} is {format_money(row[column], row['currency_id'])} but its "
                    f"postings sum to {format_money(row[f'sum_{column}'], row['currency_id'])}",
                )


def negative_balances() -> Iterator[Breach]:
    """Wallets below zero that do not allow it."""
    rows = Wallet.objects.filter(allow_negative=False).filter(Q(balance__lt=0) | Q(credit__lt=0) | Q(on_hold__lt=0))
    columns = ("number", "currency_id", "balance", "credit", "on_hold")
    for number, code, balance, credit, hold in rows.values_list(*columns).iterator():
        amounts = {name: format_money(value, code) for name, value in (("balance", balance), ("credit", credit))}
        yield Breach(
            "not_negative",
            f"wallet {number} balance {amounts['balance']} credit {amounts['credit']} hold {format_money(hold, code)}",
        )


def running_balance_breaks() -> Iterator[Breach]:
    """Wallets whose last posting's running balance differs from the cached column."""
    for bucket, column in BUCKET_COLUMNS.items():
        last = (
            Posting.objects.filter(bucket=bucket, balance_after__isnull=False)
            .values("wallet_id")
            .annotate(last_id=Max("id"))
            .values_list("last_id", flat=True)
        )
        rows = Posting.objects.filter(pk__in=last).exclude(balance_after=F(f"wallet__{column}"))
        for pk, wallet_id in rows.values_list("pk", "wallet_id").iterator():
            yield Breach("running_balance", f"wallet #{wallet_id} {column}: last posting #{pk} disagrees")


def ledger_breaches() -> Iterator[Breach]:
    """Every invariant of the ledger; an empty result means it is sound."""
    yield from unbalanced_entries()
    yield from thin_entries()
    yield from foreign_currency_postings()
    yield from cached_balance_mismatches()
    yield from negative_balances()
    yield from running_balance_breaks()
