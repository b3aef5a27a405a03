"""The portal's live socket: the consumer's rules through channels' WebsocketCommunicator (in-memory layer).

The consumer reads the database from other threads, so these tests commit (`transactional_db`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from crm.core import work
from crm.core.roles import Role
from crm.trading import live, services
from crm.trading.models import GroupTradingSettings
from crm.users import security
from tests.conftest import staff_with_role
from tests.customers.factories import PortalCustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/ws/v1/portal/live/"
WAIT = 10  # seconds: a loaded machine answers slowly; nothing waits this long unless it fails


@pytest.fixture(autouse=True)
def handlers_in_process(monkeypatch):
    """The outbox's handlers (which push to the sockets) run in this process at once: what is tested is the
    socket, not the broker. Celery's eager mode still takes a producer from the broker's pool, which other tests
    of a long session can leave exhausted."""

    def send(kind, pk):
        work._task(kind).apply(args=[pk])
        return True

    monkeypatch.setattr(work, "send", send)


@pytest.fixture(autouse=True)
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    return fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")


def token_of(account) -> str:
    return security.issue_tokens(account.customer.user)["access"]


def run(scenario):
    """Run an async scenario with a communicator factory that always disconnects."""

    async def main():
        from config.asgi import application

        opened: list[WebsocketCommunicator] = []

        def socket(query: str = "") -> WebsocketCommunicator:
            communicator = WebsocketCommunicator(application, f"{URL}?{query}" if query else URL)
            opened.append(communicator)
            return communicator

        try:
            await scenario(socket)
        finally:
            for communicator in opened:
                await communicator.disconnect()

    async_to_sync(main)()


async def messages_until(communicator: WebsocketCommunicator, kind: str, timeout: float = 10) -> list[dict]:
    """Messages received up to and including the first of `type` == kind."""
    received = []
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        received.append(message)
        if message["type"] == kind:
            return received


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "not_authenticated"), ("token=not-a-jwt", "token_not_valid")],
)
def test_a_socket_without_a_valid_token_is_told_why_and_closed(query, code):
    async def scenario(socket):
        communicator = socket(query)
        connected, _ = await communicator.connect(WAIT)
        assert connected
        assert (await communicator.receive_json_from(WAIT))["code"] == code
        assert (await communicator.receive_output(WAIT))["code"] == 4401

    run(scenario)


def test_staff_tokens_are_refused():
    staff = staff_with_role(Role.DEALER)
    token = security.issue_tokens(staff)["access"]

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        assert (await communicator.receive_json_from(WAIT))["code"] == "user_not_allowed"
        assert (await communicator.receive_output(WAIT))["code"] == 4401

    run(scenario)


def test_a_client_is_ready_with_their_trading_accounts_only(account):
    other = TradingAccountFactory(customer=PortalCustomerFactory())
    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        assert await communicator.receive_json_from(WAIT) == {"type": "ready", "accounts": [account.pk]}
        assert other.pk != account.pk

    run(scenario)


def test_another_clients_account_is_refused_and_its_events_never_arrive(account, eurusd):
    victim = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")

    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "subscribe_account", "account": victim.pk})
        error = await communicator.receive_json_from(WAIT)
        assert (error["type"], error["code"]) == ("error", "not_found")
        await communicator.send_json_to({"action": "subscribe_account", "account": str(victim.pk)})
        assert (await communicator.receive_json_from(WAIT))["code"] == "not_found"

        await database_sync_to_async(services.place_order)(victim, instrument=eurusd, side="buy", lots=D("0.10"))
        assert await communicator.receive_nothing(timeout=0.5)

    run(scenario)


def test_following_an_account_sends_its_state_then_its_fills_and_closes(account, eurusd):
    pending = services.place_order(account, instrument=eurusd, side="sell", lots=D("0.10"), order_type="limit",
                                   price=D("1.20000"))  # fmt: skip

    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "subscribe_account", "account": account.pk})
        figures, positions, orders = [await communicator.receive_json_from(WAIT) for _ in range(3)]
        assert (figures["type"], figures["balance"], figures["margin"]) == ("account", "10000.00", "0.00")
        assert positions == {"type": "positions", "account": account.pk, "positions": []}
        assert [o["id"] for o in orders["orders"]] == [pending.pk]

        order = await database_sync_to_async(services.place_order)(account, instrument=eurusd, side="buy",
                                                                   lots=D("1.00"))  # fmt: skip
        got = await messages_until(communicator, "position.opened")
        filled = next(m for m in got if m["type"] == "order.filled")
        assert (filled["account"], filled["order"]["id"], filled["order"]["fill_price"]) == (
            account.pk, order.pk, "1.1002000000",
        )  # fmt: skip
        after = await messages_until(communicator, "account")
        assert after[-1]["margin"] == "1100.20"  # 1 lot of 100,000 EUR at 1.10020, 1:100

        await database_sync_to_async(services.close_position)(order.position)
        got = await messages_until(communicator, "position.closed")
        closed = got[-1]["position"]
        assert (closed["id"], closed["status"], closed["close_price"]) == (
            order.position_id, "closed", "1.1000000000",
        )  # fmt: skip
        assert (await messages_until(communicator, "account"))[-1]["margin"] == "0.00"

    run(scenario)


def test_quotes_of_chosen_markets_arrive_priced_for_the_followed_accounts_group(account, eurusd):
    gbpusd = InstrumentFactory(symbol="GBPUSD")
    GroupTradingSettings.objects.filter(group=account.group).update(markup_points=3)

    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "subscribe_quotes", "symbols": ["EURUSD"]})
        assert await communicator.receive_json_from(WAIT) == {"type": "subscribed", "symbols": ["EURUSD"]}
        last = await communicator.receive_json_from(WAIT)
        assert (last["type"], last["bid"], last["ask"]) == ("quote", "1.1000000000", "1.1002000000")

        now = timezone.now()
        sent = await database_sync_to_async(live.publish_quotes)([
            live.PublishedQuote(eurusd.pk, "EURUSD", D("1.10010"), D("1.10030"), now),
            live.PublishedQuote(gbpusd.pk, "GBPUSD", D("1.26000"), D("1.26020"), now),
        ])  # fmt: skip
        assert sent == 2
        tick = await communicator.receive_json_from(WAIT)
        assert (tick["symbol"], tick["bid"], tick["ask"]) == ("EURUSD", "1.10010", "1.10030")
        assert await communicator.receive_nothing(timeout=0.3)  # GBPUSD was not asked for

        await communicator.send_json_to({"action": "subscribe_account", "account": account.pk})
        await messages_until(communicator, "orders")
        await database_sync_to_async(live.publish_quotes)([
            live.PublishedQuote(eurusd.pk, "EURUSD", D("1.10010"), D("1.10030"), now)
        ])  # fmt: skip
        tick = await communicator.receive_json_from(WAIT)
        assert (tick["bid"], tick["ask"]) == ("1.10007", "1.10033")  # 3 points each side

        await communicator.send_json_to({"action": "unsubscribe_quotes", "symbols": ["EURUSD"]})
        assert await communicator.receive_json_from(WAIT) == {"type": "subscribed", "symbols": []}
        await database_sync_to_async(live.publish_quotes)([
            live.PublishedQuote(eurusd.pk, "EURUSD", D("1.10010"), D("1.10030"), now)
        ])  # fmt: skip
        assert await communicator.receive_nothing(timeout=0.3)

    run(scenario)


def test_unknown_markets_and_bad_messages_are_refused_with_a_reason(account, eurusd):
    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "subscribe_quotes", "symbols": ["EURUSD", "NOPE"]})
        error = await communicator.receive_json_from(WAIT)
        assert (error["code"], error["fields"]) == ("unknown_symbols", {"symbols": ["NOPE"]})
        await communicator.send_json_to({"action": "subscribe_quotes", "symbols": "EURUSD"})
        assert (await communicator.receive_json_from(WAIT))["code"] == "invalid"
        await communicator.send_json_to({"action": "dance"})
        assert (await communicator.receive_json_from(WAIT))["code"] == "invalid_action"
        await communicator.send_to(text_data="{not json")
        assert (await communicator.receive_json_from(WAIT))["code"] == "parse_error"
        await communicator.send_json_to(["subscribe_quotes"])
        assert (await communicator.receive_json_from(WAIT))["code"] == "invalid_action"

    run(scenario)


def test_the_socket_closes_when_its_token_expires_unless_renewed_by_the_same_client(account):
    stranger = token_of(fund(TradingAccountFactory(customer=PortalCustomerFactory()), "1.00"))
    fresh, renewable = token_of(account), AccessToken.for_user(account.customer.user)

    async def scenario(socket):
        # Its lifetime starts here, not before the set-up above: a slow machine must not expire it before it connects.
        short = AccessToken.for_user(account.customer.user)
        short.set_exp(lifetime=dt.timedelta(seconds=3))
        communicator = socket(f"token={short}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "authenticate", "token": stranger})
        assert (await communicator.receive_json_from(WAIT))["code"] == "permission_denied"
        expired = await communicator.receive_json_from(WAIT)
        assert expired["code"] == "token_not_valid"
        assert (await communicator.receive_output(WAIT))["code"] == 4401

        renewed = socket(f"token={renewable}")
        await renewed.connect(WAIT)
        await renewed.receive_json_from(WAIT)
        await renewed.send_json_to({"action": "authenticate", "token": fresh})
        assert await renewed.receive_json_from(WAIT) == {"type": "authenticated"}

    run(scenario)


def test_a_channel_layer_that_is_down_loses_the_push_and_fails_nothing(settings, account, eurusd):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:9"]}}
    }
    channel_layers.backends.clear()

    order = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"))  # events pushed on commit

    assert order.status == "filled"
    assert live.push_account(account.pk, {"type": "x"}) == 0


def test_quotes_skip_the_per_message_connection_clean_up_that_account_events_keep(monkeypatch, account, eurusd):
    """Channels closes stale database connections in a worker thread before each message it dispatches; a quote
    touches no database, so the consumer hands it over directly (one thread hop per socket and quote was most of
    the fan-out's cost at 100 sockets, bench/portal_orders.py ws_quotes)."""
    from channels import consumer

    hops: list[str] = []
    original = consumer.aclose_old_connections

    async def counted():
        hops.append("hop")
        await original()

    monkeypatch.setattr(consumer, "aclose_old_connections", counted)
    token = token_of(account)

    async def scenario(socket):
        communicator = socket(f"token={token}")
        await communicator.connect(WAIT)
        await communicator.receive_json_from(WAIT)
        await communicator.send_json_to({"action": "subscribe_quotes", "symbols": ["EURUSD"]})
        await messages_until(communicator, "quote")
        before = len(hops)
        for bid in ("1.10010", "1.10020", "1.10030"):
            await database_sync_to_async(live.publish_quotes)(
                [live.PublishedQuote(eurusd.pk, "EURUSD", D(bid), D(bid) + D("0.0002"), timezone.now())]
            )
            assert (await communicator.receive_json_from(WAIT))["bid"] == bid
        quotes = len(hops) - before
        await communicator.send_json_to({"action": "subscribe_account", "account": account.pk})
        await messages_until(communicator, "orders")

        assert quotes == 0
        assert len(hops) > before  # the socket's own messages (subscribe_account) still go through the clean-up

    run(scenario)
