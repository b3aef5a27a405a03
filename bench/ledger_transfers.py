"""Transfers per second through `transfer_between_wallets`, 4 concurrent worker processes over 1,000 wallets, against a
hand-written SQL transfer that takes the same locks and writes the same rows, in the same run.

Both variants, per transfer, in one database transaction:
  lock the client row; lock both wallets in pk order; refuse an overdraft; insert the transaction,
  the journal entry and its two postings (with running balances); update both cached balances;
  insert the activity row and the outbox event.
The service adds what the hand-written one leaves out: its rule checks (client standing, wallet
switches, verification level and limits, precision, idempotency key, exchange rate).
Outbox dispatch is a worker's job and is not part of either variant (no broker in the bench). The service's
caller holds its Customer and Wallet objects (built once per worker process, before its clock starts), as the
hand-written one holds ids.

Figures (transfers/s, higher is better; ratio = service / SQL, in the same run):
  ledger_transfers                  4 workers, each transfer between two wallets of a client drawn at random
                                    from all of them (aim >= 0.7, stretch 0.9);
  ledger_transfers_disjoint_w<N>    N = 1, 2, 4, 8 workers, each on its own clients (no shared row): throughput;
  ledger_transfers_contended_w<N>   N = 1, 2, 4, 8 workers, all on the same client's four wallets (one client
                                    lock, the same wallet rows): contention.
The headline runs BENCH_ROUNDS rounds (default 7: one sitting's figure moved between 0.48 and 0.86 at 3) and
the scaling lines BENCH_SCALING_ROUNDS rounds (default 2), of BENCH_SECONDS each, the variants alternated.
The data is made with bulk inserts and removed at the end (ledger triggers are bypassed for the
clean-up only, with session_replication_role), with the USD currency and the system account when the
run created them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core import work  # noqa: E402
from crm.core.models import Activity  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.reports.models import RollupTouch  # noqa: E402
from crm.wallets import services  # noqa: E402
from crm.wallets.exceptions import InsufficientFunds  # noqa: E402
from crm.wallets.models import Currency, JournalEntry, Posting, Transaction, Wallet  # noqa: E402

WALLETS = int(os.environ.get("BENCH_WALLETS", "1000"))
PER_CLIENT = 4
WORKERS = 4
SCALING_WORKERS = (1, 2, 4, 8)
SCALING_ROUNDS = int(os.environ.get("BENCH_SCALING_ROUNDS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
START_BALANCE = Decimal("1000000.00")
PREFIX = "bench-ledger"


# What build() created besides the bench's own rows, for clean_up() to remove: the currency, the system account,
# and the dashboard rollups' records of the days its rows touched (database triggers write them; the rows go again).
CREATED: dict[str, list[object]] = {"currencies": [], "wallets": [], "touches_after": []}


def build() -> list[list[Wallet]]:
    """WALLETS wallets in USD, PER_CLIENT per client, each funded by one balanced opening entry."""
    CREATED["touches_after"] = [RollupTouch.objects.aggregate(last=Max("pk"))["last"] or 0]
    _currency, created = Currency.objects.get_or_create(code="USD", defaults={"name": "US Dollar", "minor_units": 2})
    if created:
        CREATED["currencies"].append("USD")
    if not Wallet.objects.filter(system_code="adjustments", currency_id="USD").exists():
        CREATED["wallets"].append(services.system_account("adjustments", "USD").pk)
    clients = Customer.objects.bulk_create(
        Customer(first_name="Bench", last_name=str(i), email=f"{PREFIX}-{i}@bench.invalid")
        for i in range(WALLETS // PER_CLIENT)
    )
    wallets = Wallet.objects.bulk_create(
        Wallet(
            customer=client,
            number=f"BL{client.pk:08d}{n}",
            currency_id="USD",
            type=Wallet.Type.PERSONAL,
            balance=START_BALANCE,
        )
        for client in clients
        for n in range(PER_CLIENT)
    )
    opening = services.system_account("adjustments", "USD")
    entry = JournalEntry.objects.create(idempotency_key=f"{PREFIX}-opening", kind="CORRECTION")
    now = entry.created_at
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry,
                wallet=w,
                currency_id="USD",
                amount=START_BALANCE,
                balance_after=START_BALANCE,
                created_at=now,
            )
            for w in wallets
        ]
        + [
            Posting(
                entry=entry, wallet=opening, currency_id="USD", amount=-START_BALANCE * len(wallets), created_at=now
            )
        ]
    )
    by_client: dict[int, list[Wallet]] = {}
    for wallet in wallets:
        by_client.setdefault(wallet.customer_id, []).append(wallet)
    return list(by_client.values())


# The hand-written transfer -------------------------------------------------------------------------

TXN_COLUMNS: list[str] = []
TXN_DEFAULTS: dict[str, object] = {}


def prepare_sql() -> None:
    """Every column of a transfer's transaction row, with the model's defaults, for a plain INSERT."""
    TXN_COLUMNS.clear()
    TXN_DEFAULTS.clear()
    template = Transaction(type="WALLET_TRANSFER", status="completed", amount=Decimal(1))
    for field in Transaction._meta.concrete_fields:
        if field.primary_key:
            continue
        TXN_COLUMNS.append(field.column)
        TXN_DEFAULTS[field.column] = field.get_db_prep_save(getattr(template, field.attname), connection)


def sql_transfer(customer_id: int, source_id: int, target_id: int, amount: Decimal) -> None:
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Transaction).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM customers_customer WHERE id = %s FOR UPDATE", [customer_id])
        cursor.execute(
            "SELECT id, balance, currency_id FROM wallets_wallet WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
            [source_id, target_id],
        )
        rows = {row[0]: row for row in cursor.fetchall()}
        source_balance, target_balance = rows[source_id][1] - amount, rows[target_id][1] + amount
        if source_balance < 0:
            raise InsufficientFunds("overdraft")
        values = {
            **TXN_DEFAULTS,
            "customer_id": customer_id,
            "wallet_id": source_id,
            "counter_wallet_id": target_id,
            "currency_id": "USD",
            "target_currency_id": "USD",
            "amount": amount,
            "target_amount": amount,
            "exchange_rate": Decimal(1),
            "created_at": now,
            "updated_at": now,
            "completed_at": now,
        }
        cursor.execute(
            f"INSERT INTO wallets_transaction ({', '.join(TXN_COLUMNS)}) "  # noqa: S608 - column names from the model
            f"VALUES ({', '.join(['%s'] * len(TXN_COLUMNS))}) RETURNING id",
            [values[c] for c in TXN_COLUMNS],
        )
        txn_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO wallets_journalentry (idempotency_key, kind, description, transaction_id, created_at) "
            "VALUES (%s, 'WALLET_TRANSFER', %s, %s, %s) RETURNING id",
            [f"transfer:{txn_id}", f"Transfer {source_id} -> {target_id}", txn_id, now],
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO wallets_posting (entry_id, wallet_id, currency_id, bucket, amount, balance_after, created_at)"
            " VALUES (%s, %s, 'USD', 'balance', %s, %s, %s), (%s, %s, 'USD', 'balance', %s, %s, %s)",
            [entry_id, source_id, -amount, source_balance, now, entry_id, target_id, amount, target_balance, now],
        )
        cursor.execute(
            "UPDATE wallets_wallet SET balance = %s, updated_at = %s WHERE id = %s", [source_balance, now, source_id]
        )
        cursor.execute(
            "UPDATE wallets_wallet SET balance = %s, updated_at = %s WHERE id = %s", [target_balance, now, target_id]
        )
        cursor.execute(
            "INSERT INTO core_activity (created_at, actor_repr, channel, action, target_type_id, target_id, "
            "target_repr, changes, data) VALUES (%s, '', '', 'transfer.completed', %s, %s, %s, '{}', %s)",
            [now, content_type, str(txn_id), f"Wallet transfer #{txn_id}", f'{{"amount": "{amount}"}}'],
        )
        cursor.execute(
            "INSERT INTO core_outboxevent (name, payload, created_at, attempts, last_error) "
            "VALUES ('transfer.completed', %s, %s, 0, '')",
            [f'{{"transaction_id": {txn_id}}}', now],
        )


# A caller holds the client and wallet objects it moves money for (a view has loaded them), as the hand-written
# transfer holds their ids: built once per worker process before its clock starts (`hold`), not per transfer
# (Customer() alone costs ~0.1 ms). Built lazily in the timed loop, a 4-second round of a fresh worker process
# over 250 clients made most of them inside the measure.
HELD_CLIENTS: dict[int, Customer] = {}
HELD_WALLETS: dict[int, Wallet] = {}


def hold(clients: list[tuple[int, list[int]]]) -> None:
    for customer_id, wallet_ids in clients:
        HELD_CLIENTS[customer_id] = Customer(pk=customer_id)
        for pk in wallet_ids:
            HELD_WALLETS[pk] = Wallet(pk=pk)


def service_transfer(customer_id: int, source_id: int, target_id: int, amount: Decimal) -> None:
    services.transfer_between_wallets(
        HELD_CLIENTS[customer_id],
        source=HELD_WALLETS[source_id],
        target=HELD_WALLETS[target_id],
        amount=amount,
        actor=None,
    )


def _worker(variant_name: str, clients: list[tuple[int, list[int]]], index: int, start_at: float, results) -> None:
    """One worker process: transfers for SECONDS from `start_at`, then reports its count."""
    connections.close_all()  # never share the parent's connection
    work.send = lambda kind, pk: True
    variant = {"service": service_transfer, "sql": sql_transfer}[variant_name]
    if variant_name == "service":
        hold(clients)
    rng = random.Random(index)  # noqa: S311 - test data
    count = 0
    while time.time() < start_at:
        time.sleep(0.001)
    stop = start_at + SECONDS
    while time.time() < stop:
        customer_id, wallet_ids = rng.choice(clients)
        source, target = rng.sample(wallet_ids, 2)
        variant(customer_id, source, target, Decimal(rng.randint(1, 5000)) / 100)
        count += 1
    connections.close_all()
    results.put(count)


def run(variant_name: str, clients: list[list[Wallet]], workers: int = WORKERS, mode: str = "shared") -> float:
    """Transfers per second with `workers` processes (as web or task workers run) for SECONDS.

    mode: "shared" (every worker draws from all clients), "disjoint" (worker i takes every workers-th client),
    "contended" (every worker on the first client's wallets).
    """
    plain = [(ws[0].customer_id, [w.pk for w in ws]) for ws in clients]
    per_worker = {
        "shared": lambda i: plain,
        "disjoint": lambda i: plain[i::workers],
        "contended": lambda i: plain[:1],
    }[mode]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()
    start_at = time.time() + 1.0
    processes = [
        context.Process(target=_worker, args=(variant_name, per_worker(i), i, start_at, results))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=SECONDS + 120)
        if process.exitcode:
            raise RuntimeError(f"A {variant_name} worker failed (exit code {process.exitcode}).")
    return sum(results.get(timeout=5) for _ in processes) / SECONDS


def measure(clients: list[list[Wallet]], rounds: int, workers: int = WORKERS, mode: str = "shared") -> tuple:
    """Median transfers/s of the service and of the hand-written SQL, the variants interleaved round by round."""
    rates: dict[str, list[float]] = {"service": [], "sql": []}
    for _ in range(rounds):
        rates["service"].append(run("service", clients, workers, mode))
        rates["sql"].append(run("sql", clients, workers, mode))
    return statistics.median(rates["service"]), statistics.median(rates["sql"])


def clean_up() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # Ledger rows are immutable (triggers); only this clean-up bypasses them.
        cursor.execute("SET LOCAL session_replication_role = replica")
        wallets = list(Wallet.objects.filter(customer__email__startswith=PREFIX).values_list("pk", flat=True))
        txns = Transaction.objects.filter(wallet_id__in=wallets)
        entry_ids = list(
            JournalEntry.objects.filter(postings__wallet_id__in=wallets).values_list("pk", flat=True).distinct()
        )
        ct = ContentType.objects.get_for_model(Transaction)
        Activity.objects.filter(
            target_type=ct, target_id__in=[str(pk) for pk in txns.values_list("pk", flat=True)]
        ).delete()
        events = (
            "SELECT id FROM core_outboxevent WHERE name = 'transfer.completed'"
            " AND (payload->>'transaction_id')::bigint"
            " IN (SELECT id FROM wallets_transaction WHERE wallet_id = ANY(%s))"
        )
        # With the foreign keys' triggers off, the handlers' records of these events go first, by hand.
        cursor.execute(f"DELETE FROM core_handledevent WHERE event_id IN ({events})", [wallets])  # noqa: S608
        cursor.execute(f"DELETE FROM core_outboxevent WHERE id IN ({events})", [wallets])  # noqa: S608
        Posting.objects.filter(entry_id__in=entry_ids).delete()
        JournalEntry.objects.filter(pk__in=entry_ids).delete()
        txns.delete()
        Wallet.objects.filter(pk__in=wallets + CREATED["wallets"]).delete()
        Customer.objects.filter(email__startswith=PREFIX).delete()
        Currency.objects.filter(code__in=CREATED["currencies"]).delete()
        if CREATED["touches_after"]:
            RollupTouch.objects.filter(pk__gt=CREATED["touches_after"][0]).delete()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/ledger_transfers.py needs PostgreSQL: set DATABASE_URL (bench/run.py does).")
    # No broker: the outbox event's dispatch is a worker's job, in neither variant (the service still queues its
    # send for after the commit; only the send itself is left out).
    work.send = lambda kind, pk: True
    clean_up()
    clients = build()
    prepare_sql()
    try:
        value, baseline = measure(clients, ROUNDS)
        print(bench_line("ledger_transfers", value, baseline, "transfers/s", decimals=0), flush=True)
        for mode in ("disjoint", "contended"):
            for workers in SCALING_WORKERS:
                value, baseline = measure(clients, SCALING_ROUNDS, workers, mode)
                name = f"ledger_transfers_{mode}_w{workers}"
                print(bench_line(name, value, baseline, "transfers/s", decimals=0), flush=True)
        from django.core.management import call_command

        call_command("verify_ledger", stdout=open(os.devnull, "w"))  # noqa: SIM115
    finally:
        clean_up()


if __name__ == "__main__":
    main()
