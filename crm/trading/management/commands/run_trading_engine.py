"""`manage.py run_trading_engine`: an engine process (Procfile `engine`) for a set of symbols, fed by Redis."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.trading import ticks
from crm.trading.engine_process import Engine


class Command(BaseCommand):
    help = (
        "Run a trading engine: rebuild the open positions and pending orders of its symbols from the database, then "
        "apply every tick the feed publishes to Redis (triggers, stop-out, account figures). Run several with "
        "disjoint --symbols to spread the load."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--symbols", nargs="*", default=None, help="The symbols it owns (default: all enabled).")
        parser.add_argument("--batches", type=int, default=0, help="Stop after this many batches of ticks.")
        parser.add_argument("--block-ms", type=int, default=1000, help="How long one read waits for ticks.")
        parser.add_argument(
            "--rebuild-every", type=float, default=300.0, help="Seconds between full rebuilds of the book."
        )

    def handle(
        self,
        *args: Any,
        symbols: list[str] | None,
        batches: int,
        block_ms: int,
        rebuild_every: float,
        **options: Any,
    ) -> None:
        try:
            engine = Engine(symbols, rebuild_every=rebuild_every)
            client = ticks.connect()
        except (ValueError, RuntimeError) as problem:
            raise CommandError(str(problem)) from problem
        if not engine.symbols:
            raise CommandError("No enabled instrument to run.")
        engine.start()
        reader = ticks.Reader(client, engine.symbols)
        self.stdout.write(
            f"Engine for {', '.join(engine.symbols)}: {engine.book.open_positions} open positions in the book."
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        done = actions = received = 0
        while not stopping:
            batch = reader.read(block_ms=block_ms)
            if not batch:
                continue
            received += len(batch)
            actions += engine.process(batch)
            done += 1
            if batches and done >= batches:
                break
        self.stdout.write(f"{received} ticks in {done} batches, {actions} engine actions.")
