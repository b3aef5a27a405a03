"""The live socket end to end: a daphne server started by the test, a real WebSocket client (`websockets`), the
channel layer on Redis, quotes published by `run_price_feed` and account events by the outbox handlers, both
from this (another) process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from decimal import Decimal as D

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from crm.core import work
from crm.trading import services
from crm.users import security
from tests.customers.factories import PortalCustomerFactory
from tests.harness.server import _free_port
from tests.harness.worker import wait_until
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class Daphne:
    def __init__(self, folder) -> None:
        self.port = _free_port()
        self.log = folder / "daphne.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Daphne:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.trading.live_server_settings",
            "LIVE_DATABASE_NAME": connection.settings_dict["NAME"],
            "REDIS_URL": settings.REDIS_URL,
        }
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._ready, timeout=60, what="daphne ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"daphne exited:\n{self.log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def socket(self, token: str) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.port}/ws/v1/portal/live/?token={token}", open_timeout=10)


@pytest.fixture(autouse=True)
def handlers_in_process(monkeypatch):
    """The outbox's handlers (which push to the sockets) run in this process at once: what is tested is the
    socket, not the broker. Celery's eager mode still takes a producer from the broker's pool, which other tests
    of a long session can leave exhausted."""

    def send(kind, pk):
        work._task(kind).apply(args=[pk])
        return True

    monkeypatch.setattr(work, "send", send)


@pytest.fixture
def server(tmp_path):
    channel_layers.backends.clear()  # this process publishes through the Redis layer of the settings
    running = Daphne(tmp_path).start()
    yield running
    running.stop()


def receive(socket: ClientConnection, kind: str) -> list[dict]:
    """Messages up to and including the first of that type."""
    received = []
    while True:
        message = json.loads(socket.recv(timeout=10))
        received.append(message)
        if message["type"] == kind:
            return received


def test_a_real_client_gets_quotes_and_its_accounts_updates_and_nothing_of_another_account(server):
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")
    victim = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")

    with server.socket(security.issue_tokens(account.customer.user)["access"]) as socket:
        assert json.loads(socket.recv(timeout=10)) == {"type": "ready", "accounts": [account.pk]}
        socket.send(json.dumps({"action": "subscribe_account", "account": victim.pk}))
        assert json.loads(socket.recv(timeout=10))["code"] == "not_found"
        socket.send(json.dumps({"action": "subscribe_account", "account": account.pk}))
        assert receive(socket, "orders")[0]["balance"] == "10000.00"
        socket.send(json.dumps({"action": "subscribe_quotes", "symbols": ["EURUSD"]}))
        assert receive(socket, "quote")[-1]["bid"] == "1.1000000000"

        call_command("run_price_feed", ticks=1, interval=0, seed=3, symbols=["EURUSD"])
        tick = receive(socket, "quote")[-1]
        eurusd.quote.refresh_from_db()
        assert (D(tick["bid"]), D(tick["ask"])) == (eurusd.quote.bid, eurusd.quote.ask)

        services.place_order(victim, instrument=eurusd, side="buy", lots=D("0.10"))
        order = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"))
        got = receive(socket, "position.opened")
        filled = [m for m in got if m["type"] == "order.filled"]
        assert [m["order"]["id"] for m in filled] == [order.pk]  # the victim's fill never arrived
        assert receive(socket, "account")[-1]["margin"] != "0.00"


def test_a_real_client_without_a_valid_token_is_closed_with_4401(server):
    with server.socket("forged") as socket:
        assert json.loads(socket.recv(timeout=10))["code"] == "token_not_valid"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd.code == 4401
