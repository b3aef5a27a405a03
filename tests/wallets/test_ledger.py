"""post_entry: balanced entries, idempotency keys, cached balances, no overdraft, reversals, verify_ledger."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from crm.wallets import selectors, services
from crm.wallets.exceptions import IdempotencyConflict, InsufficientFunds, UnbalancedEntry
from crm.wallets.models import Bucket, JournalEntry, Posting, Wallet
from tests.wallets.factories import CurrencyFactory, WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


def test_entry_moves_cached_balances_and_records_running_balance():
    source = fund(WalletFactory(), "100.00")
    target = WalletFactory()

    entry = services.post_entry(
        idempotency_key="t1", postings=[(source, Decimal("-30")), (target, Decimal("30"))], kind="X"
    )

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.balance, target.balance) == (Decimal("70.00"), Decimal("30.00"))
    assert sorted(entry.postings.values_list("balance_after", flat=True)) == [Decimal("30"), Decimal("70")]
    assert selectors.wallet_balance(source) == source.balance


def test_same_key_twice_posts_once_and_returns_the_first_entry():
    source = fund(WalletFactory(), "100.00")
    target = WalletFactory()
    legs = [(source, Decimal("-10")), (target, Decimal("10"))]

    first = services.post_entry(idempotency_key="same", postings=legs, kind="X")
    second = services.post_entry(idempotency_key="same", postings=legs, kind="X")

    target.refresh_from_db()
    assert first.pk == second.pk
    assert target.balance == Decimal("10.00")
    assert JournalEntry.objects.filter(idempotency_key="same").count() == 1


def test_same_key_with_other_postings_is_refused():
    source = fund(WalletFactory(), "100.00")
    target = WalletFactory()
    services.post_entry(idempotency_key="k", postings=[(source, Decimal("-10")), (target, Decimal("10"))], kind="X")

    with pytest.raises(IdempotencyConflict):
        services.post_entry(
            idempotency_key="k", postings=[(source, Decimal("-20")), (target, Decimal("20"))], kind="X"
        )

    target.refresh_from_db()
    assert target.balance == Decimal("10.00")


def test_unbalanced_entry_is_refused():
    wallet = WalletFactory()
    other = WalletFactory()

    with pytest.raises(UnbalancedEntry):
        services.post_entry(idempotency_key="u", postings=[(wallet, Decimal("10")), (other, Decimal("-9"))], kind="X")

    assert not JournalEntry.objects.exists()


def test_entry_must_balance_per_currency_not_in_total():
    usd = WalletFactory()
    eur = WalletFactory(currency=CurrencyFactory(code="EUR"))

    with pytest.raises(UnbalancedEntry):
        services.post_entry(idempotency_key="c", postings=[(usd, Decimal("10")), (eur, Decimal("-10"))], kind="X")


def test_amount_finer_than_the_currency_is_refused():
    wallet = fund(WalletFactory(), "10")
    other = WalletFactory()

    with pytest.raises(UnbalancedEntry):
        services.post_entry(
            idempotency_key="p", postings=[(wallet, Decimal("-0.001")), (other, Decimal("0.001"))], kind="X"
        )


def test_overdraft_is_refused_and_nothing_changes():
    wallet = fund(WalletFactory(), "5.00")
    other = WalletFactory()

    with pytest.raises(InsufficientFunds):
        services.post_entry(
            idempotency_key="o", postings=[(wallet, Decimal("-5.01")), (other, Decimal("5.01"))], kind="X"
        )

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("5.00")
    assert not JournalEntry.objects.filter(idempotency_key="o").exists()


def test_wallet_that_allows_negative_may_go_below_zero():
    wallet = WalletFactory(allow_negative=True)
    other = WalletFactory()

    services.post_entry(idempotency_key="n", postings=[(wallet, Decimal("-5")), (other, Decimal("5"))], kind="X")

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("-5.00")


def test_system_accounts_keep_no_cached_balance_but_sum_their_postings():
    wallet = WalletFactory()
    fund(wallet, "12.00")

    clearing = services.system_account("adjustments", "USD")

    assert clearing.balance == 0
    assert selectors.wallet_balance(clearing) == Decimal("-12.00")


def test_reversal_posts_the_mirror_and_only_once():
    source = fund(WalletFactory(), "50.00")
    target = WalletFactory()
    entry = services.post_entry(
        idempotency_key="r", postings=[(source, Decimal("-20")), (target, Decimal("20"))], kind="X"
    )

    first = services.reverse_entry(entry)
    second = services.reverse_entry(entry)

    source.refresh_from_db()
    assert first.pk == second.pk
    assert first.reverses_id == entry.pk
    assert source.balance == Decimal("50.00")


def test_hold_bucket_moves_on_hold_column():
    wallet = fund(WalletFactory(), "40.00")

    services.post_entry(
        idempotency_key="h",
        postings=[(wallet, Decimal("-15"), Bucket.BALANCE), (wallet, Decimal("15"), Bucket.HOLD)],
        kind="X",
    )

    wallet.refresh_from_db()
    assert (wallet.balance, wallet.on_hold) == (Decimal("25.00"), Decimal("15.00"))


def test_verify_ledger_is_clean_after_normal_work(capsys):
    source = fund(WalletFactory(), "50.00")
    services.post_entry(
        idempotency_key="v", postings=[(source, Decimal("-20")), (WalletFactory(), Decimal("20"))], kind="X"
    )

    call_command("verify_ledger")

    assert "sound" in capsys.readouterr().out


def test_verify_ledger_fails_on_a_cached_balance_that_disagrees():
    wallet = fund(WalletFactory(), "50.00")
    Wallet.objects.filter(pk=wallet.pk).update(balance=Decimal("60.00"))

    with pytest.raises(CommandError, match="breach"):
        call_command("verify_ledger")


def test_verify_ledger_fails_on_an_unbalanced_entry(capsys):
    wallet = fund(WalletFactory(), "50.00")
    entry = JournalEntry.objects.create(idempotency_key="broken", kind="X")
    posting = Posting(entry=entry, wallet=wallet, currency_id="USD", amount=Decimal("1"), created_at=entry.created_at)
    Posting.objects.bulk_create([posting])
    Wallet.objects.filter(pk=wallet.pk).update(balance=Decimal("51.00"))

    with pytest.raises(CommandError):
        call_command("verify_ledger")

    err = capsys.readouterr().err
    assert "entry_balanced" in err
    assert "entry_has_two_postings" in err


def test_database_refuses_a_negative_balance_where_not_allowed():
    from django.db import IntegrityError, transaction

    wallet = fund(WalletFactory(), "5.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(pk=wallet.pk).update(balance=Decimal("-1"))


@pytest.mark.postgres
def test_database_refuses_to_edit_or_delete_postings():
    from django.db import IntegrityError, transaction

    wallet = fund(WalletFactory(), "5.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(wallet=wallet).update(amount=Decimal("6"))
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.all().delete()


def _statements(captured) -> list[str]:
    """The statements a call sent, without the test transaction's savepoints."""
    return [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_one_entry_is_a_lock_and_its_rows_with_the_balances():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    source = fund(WalletFactory(), "100.00")
    target = WalletFactory(currency=source.currency)
    legs = [(source, Decimal("-1")), (target, Decimal("1"))]

    with CaptureQueriesContext(connection) as captured:
        services.post_entry(idempotency_key="count", postings=legs, kind="X")

    statements = _statements(captured)
    lock, writes = statements[0], statements[1:]
    # PostgreSQL writes the entry, its postings and the wallets' balances in one statement (CTEs); SQLite in three.
    assert len(writes) == (1 if connection.vendor == "postgresql" else 3)
    assert lock.startswith("SELECT")
    assert "wallets_journalentry" in writes[0]
    assert "wallets_posting" in " ".join(writes)
    assert 'UPDATE "wallets_wallet"' in writes[-1]
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.balance, target.balance) == (Decimal("99.00"), Decimal("1.00"))


def test_an_entry_writes_its_record_with_it_and_a_replay_writes_only_the_record(django_capture_on_commit_callbacks):
    from crm.core.events import event_values
    from crm.core.models import Activity, OutboxEvent
    from crm.core.services import activity_values

    source = fund(WalletFactory(), "100.00")
    target = WalletFactory(currency=source.currency)
    legs = [(source, Decimal("-1")), (target, Decimal("1"))]

    def record(n: int) -> tuple[dict, dict]:
        return activity_values(actor=None, action="test.posted", data={"n": n}), event_values("test.posted", n=n)

    with django_capture_on_commit_callbacks() as callbacks:
        first = services.post_entry(idempotency_key="recorded", postings=legs, kind="X", record=record(1))
        again = services.post_entry(idempotency_key="recorded", postings=legs, kind="X", record=record(2))

    assert again.pk == first.pk
    source.refresh_from_db()
    assert source.balance == Decimal("99.00")
    assert list(Activity.objects.filter(action="test.posted").order_by("id").values_list("data", flat=True)) == [
        {"n": 1},
        {"n": 2},
    ]
    events = OutboxEvent.objects.filter(name="test.posted").order_by("id")
    assert [event.payload for event in events] == [{"n": 1}, {"n": 2}]
    assert len(callbacks) == 2  # each event goes to its handlers after the commit


def test_a_transfer_issues_no_more_statements_than_hand_written_sql():
    """bench/ledger_transfers.py's hand-written transfer sends 9 statements; the service sends no more, and its
    second transfer of the same shape builds no new statement text."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.wallets.services import ledger

    source = fund(WalletFactory(), "100.00")
    target = WalletFactory(customer=source.customer, currency=source.currency)
    services.transfer_between_wallets(source.customer, source=source, target=target, amount="1", actor=None)
    texts = dict(ledger._SQL)

    with CaptureQueriesContext(connection) as captured:
        services.transfer_between_wallets(source.customer, source=source, target=target, amount="2", actor=None)

    statements = _statements(captured)
    hand_written = 9
    # The client lock (with its level), the wallets' lock, the transaction, then the entry with its postings, the
    # wallets' balances, the activity and the outbox event: 4 on PostgreSQL; SQLite writes the entry, its
    # postings and the balances in three statements, and the activity and the event in two: 8.
    assert len(statements) == (4 if connection.vendor == "postgresql" else 8) <= hand_written
    assert "customers_customer" in statements[0]
    assert "wallets_wallet" in statements[1]
    assert "wallets_transaction" in statements[2]
    assert "core_outboxevent" in statements[-1]
    assert texts == ledger._SQL
    target.refresh_from_db()
    assert target.balance == Decimal("3.00")
    assert sorted(target.postings.values_list("balance_after", flat=True)) == [Decimal("1"), Decimal("3")]


def test_a_transfer_logs_the_activity_and_event_record_activity_and_emit_would_write():
    from crm.core.events import emit
    from crm.core.models import Activity, OutboxEvent
    from crm.core.services import record_activity
    from crm.wallets.services.common import payload
    from tests.users.factories import UserFactory

    actor = UserFactory()
    source = fund(WalletFactory(), "100.00")
    target = WalletFactory(customer=source.customer, currency=source.currency)

    txn = services.transfer_between_wallets(source.customer, source=source, target=target, amount="2.50", actor=actor)
    record_activity(
        actor=actor,
        action="transfer.completed",
        target=txn,
        data={"amount": Decimal("2.50"), "to": target.pk, "received": Decimal("2.50"), "rate": Decimal(1)},
    )
    emit("transfer.completed", **payload(txn, target_wallet_id=target.pk, target_amount="2.50"))

    written, expected = Activity.objects.filter(action="transfer.completed").order_by("id").values()
    assert written.pop("id") != expected.pop("id")
    assert written.pop("created_at") <= expected.pop("created_at")
    assert written == expected
    written, expected = OutboxEvent.objects.filter(name="transfer.completed").order_by("id").values()
    for name in ("id", "created_at", "next_attempt_at"):
        assert written.pop(name) is not None
        expected.pop(name)
    assert written == expected


def test_create_transaction_writes_the_row_save_would_write():
    from django.utils import timezone

    from crm.wallets.models import Transaction
    from crm.wallets.services.ledger import create_transaction

    wallet = WalletFactory()
    values = {
        "type": Transaction.Type.WALLET_TRANSFER,
        "status": Transaction.Status.COMPLETED,
        "customer": wallet.customer,
        "wallet": wallet,
        "currency": wallet.currency,
        "amount": Decimal("12.34"),
        "target_amount": Decimal("12.34"),
        "target_currency": wallet.currency,
        "exchange_rate": Decimal(1),
        "completed_at": timezone.now(),
        "request_key": "insert-1",
    }
    fast = create_transaction(**values)
    orm = Transaction.objects.create(**{**values, "request_key": "insert-2"})

    assert fast.pk is not None
    assert not fast._state.adding
    assert fast.wallet is wallet  # the related objects given, cached as assigning them would
    assert fast.requested_by is None
    for name in ("created_at", "updated_at"):
        assert getattr(fast, name) is not None
    fields = [f.attname for f in Transaction._meta.concrete_fields if f.attname not in ("id", "request_key")]
    stored = Transaction.objects.values(*fields).get(pk=fast.pk)
    expected = Transaction.objects.values(*fields).get(pk=orm.pk)
    for name in ("created_at", "updated_at"):  # stamped, at their own moment
        assert stored.pop(name) is not None
        expected.pop(name)
    assert stored == expected
    assert {name: getattr(fast, name) for name in fields if name not in ("created_at", "updated_at")} == {
        name: getattr(orm, name) for name in fields if name not in ("created_at", "updated_at")
    }
    with pytest.raises(ValueError, match="No such column"):
        create_transaction(**values, colour="blue")
