"""Engine processes: the book rebuilt from the database, kept in step with rows changed since, ticks applied through
the services; the feed publishing to Redis and `run_trading_engine` applying what it reads."""

import threading
import time
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.trading import services, ticks
from crm.trading.engine_process import Engine
from crm.trading.feeds import FeedQuote
from crm.trading.models import Order, Position, Quote
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


def tick(symbol, bid, ask):
    return ticks.Tick(symbol=symbol, bid=D(bid), ask=D(ask), time=timezone.now())


@pytest.fixture
def market():
    eurusd, gbpusd = InstrumentFactory(symbol="EURUSD"), InstrumentFactory(symbol="GBPUSD")
    quote(eurusd, "1.10000", "1.10020")
    quote(gbpusd, "1.26000", "1.26020")
    return eurusd, gbpusd


def test_the_book_is_rebuilt_from_the_database_for_the_owned_symbols_only(market):
    eurusd, gbpusd = market
    account = fund(TradingAccountFactory(), "10000.00")
    own = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.1"), stop_loss=D("1.09")).position
    services.place_order(account, instrument=gbpusd, side="buy", lots=D("0.1"))
    pending = services.place_order(
        account, instrument=eurusd, side="sell", lots=D("0.1"), order_type="limit", price=D("1.2")
    )

    engine = Engine(["EURUSD"])
    engine.start()

    assert list(engine.book.by_symbol) == ["EURUSD"]
    assert list(engine.book.by_symbol["EURUSD"].positions) == [own.pk]
    assert list(engine.book.by_symbol["EURUSD"].orders) == [pending.pk]


def test_a_tick_closes_at_the_stop_and_fills_a_pending_order(market):
    eurusd, _ = market
    account = fund(TradingAccountFactory(), "10000.00")
    engine = Engine(["EURUSD"])
    engine.start()
    # Opened after the engine started: the sync before the tick brings them into the book.
    stopped = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.1"), stop_loss=D("1.09")).position
    limit = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.1"), order_type="limit", price=D("1.0890")
    )

    actions = engine.process([tick("EURUSD", "1.08800", "1.08820"), tick("GBPUSD", "2", "2.1")])

    stopped.refresh_from_db()
    limit.refresh_from_db()
    assert actions >= 2
    assert (stopped.status, stopped.close_reason) == ("closed", Position.CloseReason.STOP_LOSS)
    assert limit.status == Order.Status.FILLED
    assert Quote.objects.get(instrument=eurusd).bid == D("1.08800")
    assert Quote.objects.get(instrument__symbol="GBPUSD").bid == D("1.26000")  # not its symbol
    assert list(engine.book.by_symbol["EURUSD"].positions) == [limit.position_id]


def test_a_position_closed_by_hand_leaves_the_book_and_is_not_closed_twice(market):
    eurusd, _ = market
    account = fund(TradingAccountFactory(), "10000.00")
    position = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.1"), take_profit=D("1.2")
    ).position
    engine = Engine(["EURUSD"])
    engine.start()
    services.close_position(position)

    engine.process([tick("EURUSD", "1.20000", "1.20020")])

    assert position.deals.filter(entry="out").count() == 1
    assert engine.book.open_positions == 0


def test_an_unknown_symbol_is_refused():
    with pytest.raises(ValueError, match="NOPE"):
        Engine(["NOPE"])


@pytest.mark.redis
def test_the_engine_command_applies_what_the_feed_publishes(market):
    eurusd, _ = market
    account = fund(TradingAccountFactory(), "10000.00")
    position = services.place_order(
        account, instrument=eurusd, side="sell", lots=D("0.1"), take_profit=D("1.05")
    ).position
    client = ticks.connect()
    client.delete(ticks.stream("EURUSD"))

    def feed():
        time.sleep(1.5)
        ticks.publish(client, [FeedQuote("EURUSD", D("1.04900"), D("1.04920"))])

    publisher = threading.Thread(target=feed)
    publisher.start()
    call_command("run_trading_engine", "--symbols", "EURUSD", "--batches", "1", "--block-ms", "500")
    publisher.join()

    position.refresh_from_db()
    assert (position.status, position.close_reason) == ("closed", Position.CloseReason.TAKE_PROFIT)
    client.delete(ticks.stream("EURUSD"))


@pytest.mark.redis
def test_the_feed_publishes_instead_of_applying(market):
    client = ticks.connect()
    for symbol in ("EURUSD", "GBPUSD"):
        client.delete(ticks.stream(symbol))

    call_command("run_price_feed", "--publish", "--ticks", "3", "--interval", "0")

    assert client.xlen(ticks.stream("EURUSD")) == 3
    assert Quote.objects.get(instrument__symbol="EURUSD").bid == D("1.10000")
    for symbol in ("EURUSD", "GBPUSD"):
        client.delete(ticks.stream(symbol))


def test_only_accounts_near_their_margin_call_get_the_exact_check_and_a_falling_one_is_stopped_out(
    market, monkeypatch
):
    eurusd, _ = market
    healthy = fund(TradingAccountFactory(), "100000.00")
    thin = fund(TradingAccountFactory(), "1200.00")  # 1 lot: margin 1,100.20 USD, level about 109%
    services.place_order(healthy, instrument=eurusd, side="buy", lots=D("1.00"))
    doomed = services.place_order(thin, instrument=eurusd, side="buy", lots=D("1.00")).position
    engine = Engine(["EURUSD"])
    engine.start()
    checked = []
    real = services.check_stop_out
    monkeypatch.setattr(services, "check_stop_out", lambda account: checked.append(account.pk) or real(account))

    engine.process([tick("EURUSD", "1.10010", "1.10030")])
    first = list(checked)
    # equity 1,200 - 20.00 (open at the ask) - 1,000 (0.01 x 100,000) = 180: level 16% < 50%: stop-out
    engine.process([tick("EURUSD", "1.09000", "1.09020")])

    doomed.refresh_from_db()
    assert first == [thin.pk]  # healthy (level ~9,000%) is not checked on the tick
    assert checked == [thin.pk, thin.pk]
    assert (doomed.status, doomed.close_reason) == ("closed", Position.CloseReason.STOP_OUT)
    assert engine.book.figures[healthy.pk].at_risk is False


def test_the_book_triggers_stops_and_take_profits_of_both_sides_exactly_at_the_price(market):
    eurusd, _ = market
    account = fund(TradingAccountFactory(), "100000.00")
    place = services.place_order
    buy_stop = place(account, instrument=eurusd, side="buy", lots=D("0.1"), stop_loss=D("1.09950")).position
    buy_take = place(account, instrument=eurusd, side="buy", lots=D("0.1"), take_profit=D("1.10100")).position
    sell_stop = place(account, instrument=eurusd, side="sell", lots=D("0.1"), stop_loss=D("1.10100")).position
    sell_take = place(account, instrument=eurusd, side="sell", lots=D("0.1"), take_profit=D("1.09950")).position
    place(account, instrument=eurusd, side="buy", lots=D("0.1"))  # no stops: never triggered
    engine = Engine(["EURUSD"])
    engine.start()
    book = engine.book
    reason = Position.CloseReason

    assert book.triggered_positions("EURUSD", D("1.09960"), D("1.10090")) == []
    assert book.triggered_positions("EURUSD", D("1.09930"), D("1.09950")) == sorted(
        [(buy_stop.pk, reason.STOP_LOSS), (sell_take.pk, reason.TAKE_PROFIT)]
    )
    assert book.triggered_positions("EURUSD", D("1.10100"), D("1.10100")) == sorted(
        [(buy_take.pk, reason.TAKE_PROFIT), (sell_stop.pk, reason.STOP_LOSS)]
    )
