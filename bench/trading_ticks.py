"""Ticks per second through the trading engine's per-tick path (`Engine.process`) with open positions spread over 50
symbols, against a vectorised baseline over the same positions and ticks, in the same run.

Engine: per batch (one tick of each symbol) the book's sync with the rows changed since the last batch, then per
tick `store_quote` (the quote row and its candles), the book's trigger checks (pending orders, stop loss, take
profit), the floating profit of the symbol's positions and the accounts' estimated margin levels, and the exact
`check_stop_out` for the accounts near their margin call (none here: every account is healthy, so the figure is the
cost of the checks, not of closing).
Baseline: per tick the same `store_quote`, then the same checks as plain batched arithmetic over flat arrays
(`array('d')` per symbol and side: open prices, profit per price unit, stop loss, take profit, account index; the
accounts' funds, floating profit and margin as arrays), no objects and no per-position calls (numpy is not a
dependency).

Figures (ticks/s, higher is better; ratio = engine / baseline; aim >= 0.5):
  trading_ticks              BENCH_POSITIONS open positions (default 10,000), 5 per account, 50 symbols;
  trading_ticks_p<N>         with `--positions N [N ...]`, the same at each N (e.g. 1000 10000 100000), to see
                             how the cost grows with open positions (the book's rebuild time is printed beside).
Everything is built in one transaction and rolled back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from array import array
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.trading import services  # noqa: E402
from crm.trading.engine_process import Engine  # noqa: E402
from crm.trading.models import Instrument, Position, Quote  # noqa: E402
from crm.trading.ticks import Tick  # noqa: E402
from crm.wallets.models import Currency, Wallet  # noqa: E402

POSITIONS = int(os.environ.get("BENCH_POSITIONS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BATCHES = int(os.environ.get("BENCH_TICK_BATCHES", "10"))  # batches of one tick per symbol, per round
SYMBOLS = 50
PER_ACCOUNT = 5
CONTRACT = Decimal(100000)


class Rollback(Exception):
    pass


def build(positions: int) -> list[Instrument]:
    """SYMBOLS instruments X00USD.. at about 1.0, accounts of 1,000,000 USD, `positions` open positions (1 lot each,
    buy and sell alternating, stops far away)."""
    Currency.objects.get_or_create(code="USD", defaults={"name": "US Dollar", "minor_units": 2})
    now = timezone.now()
    instruments = Instrument.objects.bulk_create(
        Instrument(
            symbol=f"X{i:02d}USD", margin_currency=f"X{i:02d}", profit_currency="USD", contract_size=CONTRACT,
            tick_size=Decimal("0.00001"), digits=5,
        )
        for i in range(SYMBOLS)
    )  # fmt: skip
    Quote.objects.bulk_create(
        Quote(instrument=item, bid=Decimal("1.00000"), ask=Decimal("1.00020"), time=now) for item in instruments
    )
    count = max(positions // PER_ACCOUNT, 1)
    clients = Customer.objects.bulk_create(
        Customer(first_name="Bench", last_name=str(n), email=f"bench-ticks-{n}@bench.invalid") for n in range(count)
    )
    accounts = Wallet.objects.bulk_create(
        Wallet(
            customer=client, number=f"BT{n:08d}", currency_id="USD", type=Wallet.Type.TRADE, leverage=100,
            balance=Decimal(1000000),
        )
        for n, client in enumerate(clients)
    )  # fmt: skip
    rows = []
    for n in range(positions):
        side = "buy" if n % 2 == 0 else "sell"
        price = Decimal("1.00020") if side == "buy" else Decimal("1.00000")
        rows.append(
            Position(
                account=accounts[n // PER_ACCOUNT % len(accounts)],
                instrument=instruments[(n * 7 + n // SYMBOLS) % SYMBOLS],
                side=side, lots=Decimal(1), opened_lots=Decimal(1), open_price=price, opened_at=now,
                stop_loss=price - Decimal("0.5") if side == "buy" else price + Decimal("0.5"),
                take_profit=price + Decimal("0.5") if side == "buy" else price - Decimal("0.5"),
            )
        )  # fmt: skip
    Position.objects.bulk_create(rows, batch_size=5000)
    # Opened and funded a while ago: the engine's sync (rows changed in the last seconds) does not see them as new.
    earlier = now - dt.timedelta(hours=1)
    Position.objects.filter(account__in=accounts).update(updated_at=earlier, opened_at=earlier)
    Wallet.objects.filter(pk__in=[a.pk for a in accounts]).update(updated_at=earlier)
    return instruments


def tick_batches(instruments: list[Instrument], count: int, seed: int) -> list[list[Tick]]:
    """`count` batches of one tick per symbol: a random walk of a few points around 1.0."""
    rng = random.Random(seed)  # noqa: S311 (repeatable prices, not secrets)
    mids = {item.symbol: 100010 for item in instruments}
    batches = []
    for _ in range(count):
        batch = []
        for symbol in mids:
            mids[symbol] += rng.randint(-3, 3)
            bid = Decimal(mids[symbol] - 10).scaleb(-5)
            batch.append(Tick(symbol=symbol, bid=bid, ask=bid + Decimal("0.00020"), time=timezone.now()))
        batches.append(batch)
    return batches


class Baseline:
    """The per-tick checks as batched arithmetic over flat arrays, built from the same open positions."""

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.instruments = instruments
        rows = Position.objects.open().values_list(
            "account_id", "instrument__symbol", "side", "open_price", "lots", "stop_loss", "take_profit"
        )
        ids = sorted({row[0] for row in rows})
        index = {pk: n for n, pk in enumerate(ids)}
        wallets = dict(Wallet.objects.filter(pk__in=ids).values_list("pk", "balance"))
        self.funds = array("d", (float(wallets[pk]) for pk in ids))
        self.floating = array("d", bytes(8 * len(ids)))
        self.margin = array("d", bytes(8 * len(ids)))
        self.level = 100.0 * 1.10
        self.legs: dict[tuple[str, str], list[array]] = {}
        for account_id, symbol, side, open_price, lots, stop_loss, take_profit in rows:
            leg = self.legs.setdefault(
                (symbol, side), [array("d"), array("d"), array("d"), array("d"), array("l"), array("d")]
            )
            per_price = float(lots * CONTRACT) * (1 if side == "buy" else -1)
            leg[0].append(float(open_price))
            leg[1].append(per_price)
            leg[2].append(float(stop_loss))
            leg[3].append(float(take_profit))
            leg[4].append(index[account_id])
            leg[5].append(0.0)
            self.margin[index[account_id]] += float(lots * CONTRACT) / 100  # X at about 1 USD, leverage 100

    def apply(self, tick: Tick) -> int:
        services.store_quote(self.instruments[tick.symbol], bid=tick.bid, ask=tick.ask, time=tick.time)
        hits = 0
        touched: set[int] = set()
        for side, price in (("buy", float(tick.bid)), ("sell", float(tick.ask))):
            leg = self.legs.get((tick.symbol, side))
            if leg is None:
                continue
            opens, per_price, stops, takes, accounts, last = leg
            if side == "buy":
                hits += sum(1 for s in stops if price <= s) + sum(1 for t in takes if price >= t)
            else:
                hits += sum(1 for s in stops if price >= s) + sum(1 for t in takes if price <= t)
            profits = [(price - o) * k for o, k in zip(opens, per_price, strict=True)]
            floating = self.floating
            for account, new, old in zip(accounts, profits, last, strict=True):
                floating[account] += new - old
            leg[5] = array("d", profits)
            touched.update(accounts)
        funds, floating, margin, level = self.funds, self.floating, self.margin, self.level
        return hits + sum(1 for a in touched if margin[a] > 0 and (funds[a] + floating[a]) * 100 < margin[a] * level)


def measure(positions: int) -> tuple[float, float, float]:
    """(engine ticks/s, baseline ticks/s, rebuild seconds) at `positions` open positions, rolled back."""
    result: tuple[float, float, float] = (0.0, 0.0, 0.0)
    try:
        with transaction.atomic():
            instruments = build(positions)
            started = time.perf_counter()
            engine = Engine([item.symbol for item in instruments], rebuild_every=10**9)
            engine.start()
            rebuild = time.perf_counter() - started
            baseline = Baseline({item.symbol: item for item in instruments})
            engine_rates, baseline_rates = [], []
            for round_ in range(ROUNDS):
                batches = tick_batches(instruments, BATCHES, seed=round_)
                ticks = BATCHES * SYMBOLS
                started = time.perf_counter()
                for batch in batches:
                    engine.process(batch)
                engine_rates.append(ticks / (time.perf_counter() - started))
                started = time.perf_counter()
                for batch in batches:
                    for item in batch:
                        baseline.apply(item)
                baseline_rates.append(ticks / (time.perf_counter() - started))
            result = (statistics.median(engine_rates), statistics.median(baseline_rates), rebuild)
            raise Rollback
    except Rollback:
        pass
    return result


def report(name: str, size: int) -> None:
    value, baseline, rebuild = measure(size)
    print(
        f"# {size} positions: engine {1000 / value:.3f} ms/tick, baseline {1000 / baseline:.3f} ms/tick, "
        f"book rebuild {rebuild:.2f}s"
    )
    print(bench_line(name, value, baseline, "ticks/s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, nargs="*", default=[], help="also measure at these sizes")
    options = parser.parse_args()
    report("trading_ticks", POSITIONS)
    for size in options.positions:
        report(f"trading_ticks_p{size}", size)


if __name__ == "__main__":
    main()
