"""The only writer of balances: `post_entry` and `reverse_entry`.

Rules it guarantees:
- an entry's postings sum to zero per currency, and each posting's currency is its wallet's;
- the same idempotency key twice has one effect (the second call returns the first entry, or is
  refused with `idempotency_conflict` when its postings differ);
- client wallets are locked (`SELECT ... FOR UPDATE`, in pk order) and their cached balance,
  credit and hold are updated in the same transaction, never below zero unless allowed;
- system accounts stand for the outside world: they are not locked and keep no cached balance
  (their balance is the sum of their postings), so they never become a point every movement waits on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.core.money import to_decimal
from crm.wallets.exceptions import IdempotencyConflict, InsufficientFunds, UnbalancedEntry
from crm.wallets.models import BUCKET_COLUMNS, Bucket, Currency, JournalEntry, Posting, Transaction, Wallet


@dataclass(frozen=True)
class Leg:
    """One posting to make: `amount` (signed) on `bucket` of `wallet`."""

    wallet: Wallet
    amount: Decimal
    bucket: str = Bucket.BALANCE


LegLike = Leg | tuple


def _as_leg(value: LegLike) -> Leg:
    leg = value if isinstance(value, Leg) else Leg(*value)
    amount = to_decimal(leg.amount)
    if amount == 0:
        raise UnbalancedEntry("A posting cannot be zero.", fields={"amount": ["Must not be zero."]})
    if leg.bucket not in BUCKET_COLUMNS:
        raise UnbalancedEntry(f"Unknown bucket {leg.bucket!r}.")
    return Leg(leg.wallet, amount, Bucket(leg.bucket))


def lock_wallets(wallets: Iterable[Wallet | int]) -> dict[int, Wallet]:
    """Lock client wallets in pk order (system accounts are never locked); returns fresh rows by pk."""
    ids = sorted({w if isinstance(w, int) else w.pk for w in wallets})
    if not ids:
        return {}
    rows = (
        Wallet.objects.select_for_update(of=("self",))
        .select_related("currency")
        .filter(pk__in=ids)
        .exclude(type=Wallet.Type.SYSTEM)
        .order_by("pk")
    )
    return {wallet.pk: wallet for wallet in rows}


def _signature(legs: Iterable[tuple[int, str, Decimal]]) -> Counter:
    return Counter((wallet_id, str(bucket), Decimal(amount).normalize()) for wallet_id, bucket, amount in legs)


def _check_balanced(legs: Sequence[Leg], currencies: dict[int, str]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[currencies[leg.wallet.pk]] += leg.amount
    unbalanced = {code: total for code, total in totals.items() if total != 0}
    if unbalanced:
        detail = ", ".join(f"{code} {total}" for code, total in sorted(unbalanced.items()))
        raise UnbalancedEntry(f"The postings do not sum to zero per currency: {detail}.")


def _check_precision(legs: Sequence[Leg], currencies: dict[int, str], locked: dict[int, Wallet]) -> None:
    minor = {w.currency.code: w.currency.minor_units for w in locked.values()}
    missing = set(currencies.values()) - minor.keys()
    if missing:
        minor.update(Currency.objects.filter(code__in=missing).values_list("code", "minor_units"))
    for leg in legs:
        code = currencies[leg.wallet.pk]
        if leg.amount != leg.amount.quantize(Decimal(1).scaleb(-minor.get(code, 8))):
            raise UnbalancedEntry(f"{leg.amount} has more decimals than {code} allows.")


@transaction.atomic
def post_entry(
    *,
    idempotency_key: str,
    postings: Sequence[LegLike],
    kind: str,
    description: str = "",
    actor=None,
    transaction_obj: Transaction | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one balanced entry and move the cached balances with it. The same key twice has one effect."""
    if not idempotency_key:
        raise IdempotencyConflict("Every posting call needs an idempotency key.")
    legs = [_as_leg(p) for p in postings]
    if len(legs) < 2:
        raise UnbalancedEntry("An entry needs at least two postings.")
    locked = lock_wallets(leg.wallet for leg in legs)
    # After the lock: a concurrent call with this key has committed by now, so it is seen here.
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_refuse(existing, legs)

    wallets = {leg.wallet.pk: locked.get(leg.wallet.pk, leg.wallet) for leg in legs}
    currencies = {pk: wallet.currency_id for pk, wallet in wallets.items()}
    _check_balanced(legs, currencies)
    _check_precision(legs, currencies, locked)
    new_values = _apply(legs, locked)

    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                description=description[:255],
                transaction=transaction_obj,
                reverses=reverses,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        # Same key committed between our check and insert (only possible when no client wallet was locked).
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_refuse(existing, legs)

    now = entry.created_at
    Posting.objects.bulk_create(
        Posting(
            entry=entry,
            wallet_id=leg.wallet.pk,
            currency_id=currencies[leg.wallet.pk],
            bucket=leg.bucket,
            amount=leg.amount,
            balance_after=after,
            created_at=now,
        )
        for leg, after in zip(legs, _balances_after(legs, locked), strict=True)
    )
    for pk, values in new_values.items():
        Wallet.objects.filter(pk=pk).update(**values, updated_at=timezone.now())
        for column, value in values.items():
            setattr(locked[pk], column, value)
    return entry


def _same_or_refuse(existing: JournalEntry, legs: Sequence[Leg]) -> JournalEntry:
    stored = existing.postings.values_list("wallet_id", "bucket", "amount")
    if _signature(stored) != _signature((leg.wallet.pk, leg.bucket, leg.amount) for leg in legs):
        raise IdempotencyConflict(
            f"The key {existing.idempotency_key!r} was already used for different postings.",
        )
    return existing


def _apply(legs: Sequence[Leg], locked: dict[int, Wallet]) -> dict[int, dict[str, Decimal]]:
    """New cached values per locked wallet; refuses to take a wallet below zero unless it allows it."""
    deltas: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for leg in legs:
        if leg.wallet.pk in locked:
            deltas[leg.wallet.pk][BUCKET_COLUMNS[leg.bucket]] += leg.amount
    new_values: dict[int, dict[str, Decimal]] = {}
    for pk, columns in deltas.items():
        wallet = locked[pk]
        values = {column: getattr(wallet, column) + delta for column, delta in columns.items()}
        negative = [column for column, value in values.items() if value < 0]
        if negative and not wallet.allow_negative:
            column = negative[0]
            raise InsufficientFunds(
                f"Wallet {wallet.number} has {getattr(wallet, column)} {wallet.currency_id} "
                f"({column.replace('_', ' ')}); it cannot go below zero.",
                fields={"amount": ["Insufficient funds."]},
            )
        new_values[pk] = values
    return new_values


def _balances_after(legs: Sequence[Leg], locked: dict[int, Wallet]) -> list[Decimal | None]:
    running = {(pk, column): getattr(w, column) for pk, w in locked.items() for column in BUCKET_COLUMNS.values()}
    result: list[Decimal | None] = []
    for leg in legs:
        key = (leg.wallet.pk, BUCKET_COLUMNS[leg.bucket])
        if key not in running:
            result.append(None)
            continue
        running[key] += leg.amount
        result.append(running[key])
    return result


@transaction.atomic
def reverse_entry(entry: JournalEntry, *, actor=None, description: str = "") -> JournalEntry:
    """Post the mirror image of an entry; reversing the same entry again returns the first reversal."""
    legs = [
        Leg(posting.wallet, -posting.amount, posting.bucket)
        for posting in entry.postings.select_related("wallet").order_by("id")
    ]
    return post_entry(
        idempotency_key=f"reversal:{entry.pk}",
        postings=legs,
        kind=entry.kind,
        description=description or f"Reversal of entry #{entry.pk}",
        actor=actor,
        transaction_obj=entry.transaction,
        reverses=entry,
    )


def system_account(code: str, currency: Currency | str) -> Wallet:
    """The system account standing for `code` (PSP clearing, fee income, ...) in a currency, created once."""
    currency_code = currency if isinstance(currency, str) else currency.code
    wallet = Wallet.objects.filter(system_code=code, currency_id=currency_code).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(
                system_code=code,
                currency_id=currency_code,
                type=Wallet.Type.SYSTEM,
                number=f"SYS-{code.upper()}-{currency_code}",
                caption=f"{Wallet.SystemCode(code).label} {currency_code}",
                allow_negative=True,
                can_deposit=False,
                can_withdraw=False,
                can_transfer=False,
            )
    except IntegrityError:
        return Wallet.objects.get(system_code=code, currency_id=currency_code)
