"""Quotes per second delivered to 100 portal WebSocket subscribers against the feed's own rate, on the production path.

Figure (quotes/s, higher is better; ratio = delivered / fed; aim >= 0.9: delivery keeps up with the feed):
- ws_quotes: quotes per second the slowest of SUBSCRIBERS (100) sockets receives while the feed publishes QUOTES
  quotes of one market at FEED_RATE per second, against the feed's own publish rate in the same run.

The path is production's: the portal's live socket (crm.trading.consumers) served by daphne (a subprocess, as the
Procfile's `ws` runs it) on the Redis channel layer (channels_redis pub/sub), SUBSCRIBERS real `websockets` clients
in a process of their own, each a portal client of its own that authenticates with its access JWT and subscribes to
the market; the feed publishes each quote with `live.publish_quotes`, the call the engine process makes after every
tick. Rates are measured over the same QUOTES - 1 intervals from the first publish: to the slowest socket's last
receipt, and to the feed's last publish; the figure is the median of ROUNDS rounds over the same sockets. A quote
lost on the way fails the bench.

Needs Redis: BENCH_REDIS_URL (bench/run.py passes it) or REDIS_URL; the channel prefix is the run's own
(bench/_live_settings.py). The clients and the market are committed (daphne reads them) and removed at the end
(bench/_snapshot.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or ""
if not REDIS_URL:
    sys.exit("bench/ws_quotes.py needs Redis: set BENCH_REDIS_URL or REDIS_URL (bench/run.py passes BENCH_REDIS_URL).")
os.environ["REDIS_URL"] = REDIS_URL
os.environ["BENCH_LIVE_PREFIX"] = f"crm-bench-{os.getpid()}"
os.environ["DJANGO_SETTINGS_MODULE"] = "bench._live_settings"

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from bench._process import stop_process_group  # noqa: E402
from bench._report import bench_line  # noqa: E402
from bench._snapshot import Snapshot  # noqa: E402
from crm.trading import live  # noqa: E402
from crm.trading.models import Instrument  # noqa: E402
from crm.users import security  # noqa: E402
from tests.customers.factories import PortalCustomerFactory  # noqa: E402
from tests.trading.factories import InstrumentFactory  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "100"))
QUOTES = max(2, int(os.environ.get("BENCH_QUOTES", "50")))
FEED_RATE = float(os.environ.get("BENCH_FEED_RATE", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SYMBOL = "EURUSD.bench"  # a market of the bench's own: it has no last quote to send on subscribing
PREFIX = "bench-ws-quotes"
RECEIVE_TIMEOUT = 30.0


class Daphne:
    """config.asgi under daphne with these settings, on this database and Redis, in its own process group."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Daphne:
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "config.asgi:application",
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our interpreter and arguments)
            command, cwd=ROOT, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"daphne exited while starting (exit {self.process.returncode})")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit("daphne did not listen within 120 s")

    def stop(self) -> None:
        stop_process_group(self.process)


def build() -> tuple[Instrument, list[str]]:
    """The market and SUBSCRIBERS portal clients' access tokens, made with the test factories."""
    market = InstrumentFactory(symbol=SYMBOL, margin_currency="EUR", profit_currency="USD")
    customers = [PortalCustomerFactory(email=f"{PREFIX}-{index}@bench.invalid") for index in range(SUBSCRIBERS)]
    return market, [security.issue_tokens(customer.user)["access"] for customer in customers]


# The subscribers: a process of their own, so that reading 100 sockets does not slow the feed down -------------


async def _subscribe(port: int, token: str) -> ClientConnection:
    socket_ = await connect(f"ws://127.0.0.1:{port}/ws/v1/portal/live/?token={token}", open_timeout=60)
    ready = json.loads(await socket_.recv())
    if ready["type"] != "ready":
        raise SystemExit(f"the socket answered {ready}")
    await socket_.send(json.dumps({"action": "subscribe_quotes", "symbols": [SYMBOL]}))
    subscribed = json.loads(await socket_.recv())
    if subscribed != {"type": "subscribed", "symbols": [SYMBOL]}:
        raise SystemExit(f"the socket answered {subscribed}")
    return socket_


async def _last_receipt(socket_: ClientConnection) -> float:
    """When the socket received its QUOTES-th quote of the round (time.monotonic, system-wide on Linux)."""
    received = 0
    while received < QUOTES:
        try:
            message = json.loads(await asyncio.wait_for(socket_.recv(), RECEIVE_TIMEOUT))
        except TimeoutError:
            raise SystemExit(f"a socket received {received} of {QUOTES} quotes: the others were lost") from None
        if message["type"] == "quote":
            received += 1
    return time.monotonic()


async def _subscribers(port: int, tokens: list[str], pipe) -> None:
    sockets = []
    for start in range(0, len(tokens), 20):  # 20 connections at a time: daphne checks each token in the database
        sockets += await asyncio.gather(*(_subscribe(port, token) for token in tokens[start : start + 20]))
    pipe.send("ready")
    for _ in range(ROUNDS):
        pipe.send(max(await asyncio.gather(*(_last_receipt(s) for s in sockets))))
    for socket_ in sockets:
        await socket_.close()


def _subscriber_process(port: int, tokens: list[str], pipe) -> None:
    asyncio.run(_subscribers(port, tokens, pipe))


# The feed ----------------------------------------------------------------------------------------------------


def feed(market: Instrument) -> tuple[float, float]:
    """Publish QUOTES quotes at FEED_RATE as the engine does; (time of the first publish, of the last)."""
    started = time.monotonic()
    for index in range(QUOTES):  # one quote every 1 / FEED_RATE seconds, the first at once
        time.sleep(max(0.0, started + index / FEED_RATE - time.monotonic()))
        bid = Decimal("1.10000") + Decimal(index) / 100000
        sent = live.publish_quotes(
            [live.PublishedQuote(market.pk, SYMBOL, bid, bid + Decimal("0.0002"), dt.datetime.now(dt.UTC))]
        )
        if sent != 1:
            raise SystemExit("the feed could not publish to the channel layer (see the warning above)")
    return started, time.monotonic()


def measure(daphne: Daphne, market: Instrument, tokens: list[str]) -> tuple[float, float]:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    connections.close_all()  # never share the parent's connection
    subscribers = context.Process(target=_subscriber_process, args=(daphne.port, tokens, theirs))
    subscribers.start()
    try:
        if not ours.poll(300) or ours.recv() != "ready":
            raise SystemExit(f"the subscribers did not connect (exit code {subscribers.exitcode})")
        delivered, fed = [], []
        for _ in range(ROUNDS):
            started, published = feed(market)
            if not ours.poll(QUOTES / FEED_RATE + RECEIVE_TIMEOUT + 30):
                raise SystemExit(f"the subscribers stopped (exit code {subscribers.exitcode})")
            last = ours.recv()
            delivered.append((QUOTES - 1) / (last - started))
            fed.append((QUOTES - 1) / (published - started))
        return statistics.median(delivered), statistics.median(fed)
    finally:
        subscribers.join(timeout=30)
        if subscribers.is_alive():
            subscribers.kill()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/ws_quotes.py needs PostgreSQL: set DATABASE_URL (bench/run.py does).")
    snapshot = Snapshot.take()
    daphne = Daphne()
    try:
        market, tokens = build()
        daphne.start()
        value, baseline = measure(daphne, market, tokens)
        print(bench_line("ws_quotes", value, baseline, "quotes/s"), flush=True)
    finally:
        daphne.stop()
        connections.close_all()
        snapshot.restore()


if __name__ == "__main__":
    main()
