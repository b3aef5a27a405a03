"""Orders per second through seed 001's v4 trader endpoint, 8 portal clients at once, against the engine's own
service call with the same 8-way concurrency, in the same run.

Figure (orders/s, higher is better; ratio = HTTP / service; aim >= 0.5):
- portal_orders: market orders placed per second by CLIENTS (8) client processes, each a portal client of its own
  (own login, own access JWT, own trading account in the `accountId` header) sending
  `POST /frontoffice/api/cfd/v4/orders` with the seed's body to a live gunicorn server (WEB_WORKERS sync worker
  processes, as the Procfile's `web` runs it) over real HTTP (httpx), against CLIENTS processes calling
  `services.place_order` directly for the same orders (same market, lots, account setup, acting user) in the same
  run. Both variants are 8 processes, each on its own account: the ratio compares like with like, and what it
  shows is what the HTTP path adds (socket, WSGI, authentication, the account look-up, validation, the answer's
  presentation), not a difference in concurrency.

Why a live server: the test client runs the view in the bench's own process, so 8 threads would take turns on one
GIL and measure Python's lock, not the product; a portal reaches the product over HTTP through gunicorn's worker
processes, and that is what is measured here.

Each round places ORDERS orders per client and variant on fresh accounts (an account's open positions weigh on every
margin check, so both variants start from none), the variants interleaved, after one warm-up round of each (every
gunicorn worker has served before timing); the figure is the median round, each round's rate the orders of all
clients over the time from the common start to the last client's end. No broker: the dispatch of the outbox's events
is a worker's job and is left out of both (the server's WSGI module is bench/_portal_wsgi.py); the events are still
written.

The clients, accounts, market, quote and funding are committed (the server reads them from its own connections) and
removed at the end: bench/_snapshot.py records the database before and puts it back after, as it was.
"""

from __future__ import annotations

import logging
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.db import connection, connections  # noqa: E402

from bench._process import stop_process_group  # noqa: E402
from bench._report import bench_line  # noqa: E402
from bench._snapshot import Snapshot  # noqa: E402
from crm.core import work  # noqa: E402
from crm.trading import services  # noqa: E402
from crm.trading.models import Instrument, Order  # noqa: E402
from crm.users import security  # noqa: E402
from crm.wallets.models import AccountGroup, Wallet  # noqa: E402
from tests.customers.factories import PortalCustomerFactory  # noqa: E402
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote  # noqa: E402
from tests.wallets.helpers import fund  # noqa: E402

CLIENTS = 8
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "40"))  # per client, variant and round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PATH = "/frontoffice/api/cfd/v4/orders"
BODY = {"order": {"marketId": "EURUSD", "orderType": "Market", "side": "Buy", "requestedLotAmount": "0.01",
                  "timeInForce": "Ioc"}}  # fmt: skip
LOTS = Decimal("0.01")
PREFIX = "bench-portal-orders"
logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request


class Gunicorn:
    """The product's WSGI app (bench/_portal_wsgi.py) under gunicorn, on this database, in its own process group."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Gunicorn:
        command = [
            sys.executable, "-m", "gunicorn", "bench._portal_wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(WEB_WORKERS), "--timeout", "120", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603 (our interpreter)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited while starting (exit {self.process.returncode})")
            try:
                httpx.get(f"{self.url}/api/health/", timeout=5)
                return self
            except httpx.TransportError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer within 120 s")

    def stop(self) -> None:
        stop_process_group(self.process)


def build() -> tuple[list, Instrument, AccountGroup]:
    """The market with a quote and CLIENTS portal clients, made with the test factories (the trader tests' setup)."""
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    customers = [PortalCustomerFactory(email=f"{PREFIX}-{index}@bench.invalid") for index in range(CLIENTS)]
    group = TradingAccountFactory.build().group  # an account group with trading settings
    return customers, eurusd, group


def accounts(customers: list, group: AccountGroup, label: str) -> list[Wallet]:
    """A fresh funded trading account per client."""
    return [
        fund(TradingAccountFactory(customer=customer, group=group, number=f"BPO-{label}-{index}"), "1000000")
        for index, customer in enumerate(customers)
    ]


def _http_client(url: str, token: str, number: str, orders: int, start_at: float, results) -> None:
    headers = {"Authorization": f"Bearer {token}", "accountId": number}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        _wait(start_at)
        for _ in range(orders):
            response = client.post(PATH, json=BODY)
            if response.status_code != 200 or response.json()["order"]["status"] != "Filled":
                raise SystemExit(f"the endpoint answered {response.status_code}: {response.content[:300]!r}")
    results.put(time.time())


def _service_client(account_id: int, instrument_id: int, orders: int, start_at: float, results) -> None:
    work.send = lambda kind, pk: True  # as the server's (bench/_portal_wsgi.py)
    account = Wallet.objects.select_related("customer__user").get(pk=account_id)
    instrument = Instrument.objects.get(pk=instrument_id)
    actor = account.customer.user  # the endpoint acts as the client's user
    _wait(start_at)
    for _ in range(orders):
        order = services.place_order(account, instrument=instrument, side="buy", lots=LOTS, actor=actor)
        if order.status != Order.Status.FILLED:
            raise SystemExit(f"the service left the order {order.status}")
    connections.close_all()
    results.put(time.time())


def _wait(start_at: float) -> None:
    while time.time() < start_at:
        time.sleep(0.001)


def run(target, arguments: list[tuple], orders: int) -> float:
    """Orders/s of one process per argument tuple, all starting together: every order over start to last end."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()  # never share the parent's connection
    start_at = time.time() + 1.0
    processes = [context.Process(target=target, args=(*args, orders, start_at, results)) for args in arguments]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
        if process.exitcode:
            raise SystemExit(f"a {target.__name__} process failed (exit code {process.exitcode})")
    ends = [results.get(timeout=5) for _ in processes]
    return len(processes) * orders / (max(ends) - start_at)


def measure(server: Gunicorn, customers: list, eurusd: Instrument, group: AccountGroup) -> tuple[float, float]:
    http_rates, service_rates = [], []
    for index in range(ROUNDS + 1):  # round 0 warms both paths up and is not counted
        orders = min(ORDERS, 5) if index == 0 else ORDERS
        tokens = [security.issue_tokens(customer.user)["access"] for customer in customers]
        http_accounts = accounts(customers, group, f"H{index}")
        service_accounts = accounts(customers, group, f"S{index}")
        http = run(
            _http_client, [(server.url, t, a.number) for t, a in zip(tokens, http_accounts, strict=True)], orders
        )
        service = run(_service_client, [(a.pk, eurusd.pk) for a in service_accounts], orders)
        if index:
            http_rates.append(http)
            service_rates.append(service)
    return statistics.median(http_rates), statistics.median(service_rates)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/portal_orders.py needs PostgreSQL: set DATABASE_URL (bench/run.py does).")
    snapshot = Snapshot.take()
    server = Gunicorn()
    try:
        customers, eurusd, group = build()
        server.start()
        value, baseline = measure(server, customers, eurusd, group)
        print(bench_line("portal_orders", value, baseline, "orders/s"), flush=True)
    finally:
        server.stop()
        connections.close_all()
        snapshot.restore()


if __name__ == "__main__":
    main()
