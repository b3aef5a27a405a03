"""Orders per second through seed 001's v4 trader endpoint against the engine's own service call.

Figure:
- portal_orders: market orders placed per second with `POST /frontoffice/api/cfd/v4/orders` (DRF's APIClient,
  the portal JWT, the `accountId` header, the seed's body and answer) against `services.place_order` filling
  the same orders (same market, lots and account setup) in the same run. The gap is what the API adds:
  authentication, the account look-up, validation, the answer's presentation. Above 0.5 is the aim.

Each round places ORDERS orders per variant on a fresh account of its own (an account's open positions weigh
on every margin check, so both variants start from none), the variants interleaved; the figure is the median
round. One client, one thread: the comparison is of the code path, not of the database under concurrency.
Everything is built inside one transaction that is rolled back at the end: nothing is left over (the outbox's
on-commit work never runs, for either variant).

- ws_quotes: quotes per second the slowest of SUBSCRIBERS (100) portal sockets receives while the feed publishes
  QUOTES quotes of one market at FEED_RATE per second, against the feed's own publish rate in the same run (aim:
  ratio >= 0.9, delivery keeps up with the feed). The sockets are the real consumer (crm.trading.consumers)
  behind the real ASGI routing, driven by Channels' WebsocketCommunicator on the in-memory channel layer, the
  quotes sent as `publish_quotes` sends them (one group_send per market and quote); the token check and the
  market look-ups are stubbed, so nothing touches the database (bench/run.py runs without Redis).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
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

from channels.layers import get_channel_layer  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402
from django.db import transaction  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench._report import bench_line  # noqa: E402
from config.asgi import application  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.trading import live, services  # noqa: E402
from crm.trading.models import Instrument, Order  # noqa: E402
from crm.users import security  # noqa: E402
from crm.wallets.models import AccountGroup, Wallet  # noqa: E402
from tests.customers.factories import PortalCustomerFactory  # noqa: E402
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote  # noqa: E402
from tests.wallets.helpers import fund  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
URL = "/frontoffice/api/cfd/v4/orders"
BODY = {"order": {"marketId": "EURUSD", "orderType": "Market", "side": "Buy", "requestedLotAmount": "0.01",
                  "timeInForce": "Ioc"}}  # fmt: skip
LOTS = Decimal("0.01")
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "100"))
QUOTES = max(2, int(os.environ.get("BENCH_QUOTES", "50")))
FEED_RATE = float(os.environ.get("BENCH_FEED_RATE", "20"))
MARKET = 1  # the stubbed EURUSD's id


def build() -> tuple[Customer, Instrument, AccountGroup]:
    """The market and a portal client, made with the test factories (the same setup the trader tests use)."""
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    customer = PortalCustomerFactory(email="bench-trader@bench.invalid")
    group = TradingAccountFactory.build().group  # an account group with trading settings
    return customer, eurusd, group


def account(customer: Customer, group: AccountGroup, number: str) -> Wallet:
    return fund(TradingAccountFactory(customer=customer, group=group, number=number), "1000000")


def http_round(client: APIClient, wallet: Wallet) -> float:
    started = time.perf_counter()
    for _ in range(ORDERS):
        response = client.post(URL, BODY, format="json", HTTP_ACCOUNTID=wallet.number)
        if response.status_code != 200 or response.json()["order"]["status"] != "Filled":
            raise SystemExit(f"the endpoint answered {response.status_code}: {response.content[:300]!r}")
    return ORDERS / (time.perf_counter() - started)


def service_round(wallet: Wallet, eurusd: Instrument) -> float:
    started = time.perf_counter()
    for _ in range(ORDERS):
        order = services.place_order(wallet, instrument=eurusd, side="buy", lots=LOTS)
        if order.status != Order.Status.FILLED:
            raise SystemExit(f"the service left the order {order.status}")
    return ORDERS / (time.perf_counter() - started)


def main() -> None:
    with transaction.atomic():
        customer, eurusd, group = build()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {security.issue_tokens(customer.user)['access']}")
        # Warm up both paths (URL resolution, first imports, cached look-ups) before anything is timed.
        warm = account(customer, group, "BENCH-W")
        client.post(URL, BODY, format="json", HTTP_ACCOUNTID=warm.number)
        services.place_order(warm, instrument=eurusd, side="buy", lots=LOTS)
        http_rates, service_rates = [], []
        for index in range(ROUNDS):
            http_rates.append(http_round(client, account(customer, group, f"BENCH-H{index}")))
            service_rates.append(service_round(account(customer, group, f"BENCH-S{index}"), eurusd))
        print(bench_line("portal_orders", statistics.median(http_rates), statistics.median(service_rates), "orders/s"))
        transaction.set_rollback(True)  # clean up: nothing built here outlives the run


async def _socket() -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, "/ws/v1/portal/live/?token=bench")
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "ready"
    await socket.send_json_to({"action": "subscribe_quotes", "symbols": ["EURUSD"]})
    assert (await socket.receive_json_from())["type"] == "subscribed"
    return socket


async def _feed(subscribers: int) -> tuple[float, float]:
    """(quotes/s the slowest socket received, quotes/s the feed published)."""
    sockets = [await _socket() for _ in range(subscribers)]

    async def read(socket: WebsocketCommunicator) -> float:
        for _ in range(QUOTES):
            await socket.receive_json_from(timeout=60)
        return time.perf_counter()

    readers = [asyncio.create_task(read(socket)) for socket in sockets]
    layer = get_channel_layer()
    started = time.perf_counter()
    for index in range(QUOTES):  # the feed: one quote every 1 / FEED_RATE seconds, the first at once
        await asyncio.sleep(max(0.0, started + index / FEED_RATE - time.perf_counter()))
        bid = Decimal("1.10000") + Decimal(index) / 100000
        message = {"type": live.QUOTE_EVENT, "instrument": MARKET, "symbol": "EURUSD", "bid": str(bid),
                   "ask": str(bid + Decimal("0.0002")), "time": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
        await layer.group_send(live.quotes_group(MARKET), message)
    published = time.perf_counter()
    last = max(await asyncio.gather(*readers))
    for socket in sockets:
        await socket.disconnect()
    # Over the same QUOTES - 1 intervals from the first publish: to the last receipt, and to the last publish.
    return (QUOTES - 1) / (last - started), (QUOTES - 1) / (published - started)


def ws_quotes() -> None:
    expires = int(time.time()) + 3600
    live.portal_client = lambda raw: live.Client(user_id=1, customer_id=1, expires_at=expires, accounts=[])
    live.instruments_by_symbol = lambda symbols: {"EURUSD": MARKET}
    live.last_quotes = lambda ids: []
    delivered, fed = [], []
    for _ in range(ROUNDS):
        slowest, feed = asyncio.run(_feed(SUBSCRIBERS))
        delivered.append(slowest)
        fed.append(feed)
    print(bench_line("ws_quotes", statistics.median(delivered), statistics.median(fed), "quotes/s"))


if __name__ == "__main__":
    main()
    ws_quotes()
