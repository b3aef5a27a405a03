"""Ticks: pending orders and SL/TP triggered by quotes, stop-out order, swaps with the triple day, expiry."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from crm.core.exceptions import DomainError
from crm.core.models import OutboxEvent
from crm.trading import services
from crm.trading.exceptions import InvalidPrice
from crm.trading.models import GroupTradingSettings, MarginCall, Order, Position
from crm.wallets.models import Wallet
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    return fund(TradingAccountFactory(), "10000.00")


def test_buy_limit_fills_when_the_ask_reaches_its_price(account, eurusd):
    order = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.50"), order_type="limit", price=D("1.09500")
    )

    services.process_quote(eurusd, bid=D("1.09600"), ask=D("1.09620"))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    services.process_quote(eurusd, bid=D("1.09480"), ask=D("1.09500"))
    order.refresh_from_db()
    assert (order.status, order.fill_price) == (Order.Status.FILLED, D("1.09500"))


def test_pending_price_on_the_wrong_side_is_refused(account, eurusd):
    with pytest.raises(InvalidPrice):
        services.place_order(
            account, instrument=eurusd, side="buy", lots=D("0.50"), order_type="limit", price=D("1.2")
        )
    with pytest.raises(InvalidPrice):
        services.place_order(
            account, instrument=eurusd, side="sell", lots=D("0.50"), order_type="stop", price=D("1.2")
        )


def test_a_triggered_order_without_margin_is_rejected_with_the_reason(eurusd):
    account = fund(TradingAccountFactory(), "500.00")
    order = services.place_order(
        account, instrument=eurusd, side="sell", lots=D("1.00"), order_type="stop", price=D("1.09")
    )

    services.process_quote(eurusd, bid=D("1.08990"), ask=D("1.09010"))

    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert "Not enough free margin" in order.reject_reason


def test_stop_loss_and_take_profit_close_at_the_quote(account, eurusd):
    buy = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"), stop_loss=D("1.09000")).position
    sell = services.place_order(
        account, instrument=eurusd, side="sell", lots=D("0.10"), take_profit=D("1.09100")
    ).position

    services.process_quote(eurusd, bid=D("1.08990"), ask=D("1.09010"))

    buy.refresh_from_db()
    sell.refresh_from_db()
    assert (buy.close_reason, buy.close_price, buy.profit) == ("stop_loss", D("1.08990"), D("-103.00"))
    assert (sell.close_reason, sell.close_price, sell.profit) == ("take_profit", D("1.09010"), D("99.00"))


def test_stop_out_closes_the_largest_loss_first_until_the_level_recovers(eurusd):
    gbpusd = InstrumentFactory(symbol="GBPUSD")
    quote(gbpusd, "1.25000", "1.25020")
    account = fund(TradingAccountFactory(), "2000.00")
    small = services.place_order(account, instrument=gbpusd, side="buy", lots=D("0.30")).position
    large = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    quote(gbpusd, "1.24800", "1.24820")  # -60 on GBPUSD

    services.process_quote(eurusd, bid=D("1.08500"), ask=D("1.08520"))  # -1,520 on EURUSD: level far under 50%

    large.refresh_from_db()
    small.refresh_from_db()
    account.refresh_from_db()
    assert (large.status, large.close_reason) == ("closed", "stop_out")
    assert large.deals.get(entry="out").comment.startswith("[so: ")
    assert small.status == "open"
    assert account.margin_level > D(50)
    assert OutboxEvent.objects.filter(name="stop_out").count() == 1
    call_command("verify_ledger")


def test_stop_out_with_fifo_closes_the_oldest_of_the_symbol_first(eurusd):
    account = fund(TradingAccountFactory(), "5000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(
        stop_out_policy="fifo", stop_out_level=100, margin_call_level=100
    )
    quote(eurusd, "1.09000", "1.09020")
    oldest = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    quote(eurusd, "1.10000", "1.10020")
    worst = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position

    services.process_quote(eurusd, bid=D("1.08000"), ask=D("1.08020"))  # equity 1,960, margin 2,160.40

    oldest.refresh_from_db()
    worst.refresh_from_db()
    assert (oldest.close_reason, oldest.profit) == ("stop_out", D("-1020.00"))
    assert worst.status == "open"  # the larger loss, kept: FIFO closes the oldest first


def test_margin_call_is_emitted_between_the_levels(eurusd):
    account = fund(TradingAccountFactory(), "1200.00")
    services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    services.process_quote(eurusd, bid=D("1.09950"), ask=D("1.09970"))  # equity 1,130, margin 1,099.70: 102.8%
    services.process_quote(eurusd, bid=D("1.09900"), ask=D("1.09920"))  # equity 1,080: 98.3%

    assert OutboxEvent.objects.filter(name="margin.call").count() == 1
    assert Position.objects.open().count() == 1


def test_swaps_charge_three_days_on_the_triple_day_once(account, eurusd):
    eurusd.swap_long = D("-7")
    eurusd.save()
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("2.00")).position
    wednesday = dt.date(2026, 12, 2)
    # Open before that rollover whatever day the test runs.
    Position.objects.filter(pk=position.pk).update(opened_at=dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC))

    charged = services.charge_swaps(wednesday)
    again = services.charge_swaps(wednesday)

    position.refresh_from_db()
    account.refresh_from_db()
    assert (charged, again) == (1, 0)
    assert position.swap == D("-42.00")  # 14 USD a day, three days
    assert account.balance == D("10000.00") - D("42.00")
    trading = Wallet.objects.get(system_code="trading", currency="USD")
    assert trading.postings.get().amount == D("42.00")
    call_command("verify_ledger")


def test_good_till_date_orders_expire(account, eurusd):
    order = services.place_order(
        account,
        instrument=eurusd,
        side="buy",
        lots=D("0.10"),
        order_type="limit",
        price=D("1.05"),
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )

    expired = services.expire_orders(timezone.now() + dt.timedelta(minutes=6))

    order.refresh_from_db()
    assert (expired, order.status, order.time_in_force) == (1, Order.Status.EXPIRED, "GTD")


def test_a_quote_beyond_the_price_deviation_is_refused(eurusd):
    eurusd.price_deviation = D("1")
    eurusd.save()

    with pytest.raises(InvalidPrice):
        services.store_quote(eurusd, bid=D("1.2"), ask=D("1.2"))


def test_margin_call_fires_once_until_the_account_recovers(eurusd):
    account = fund(TradingAccountFactory(), "1200.00")
    services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))
    calls = OutboxEvent.objects.filter(name="margin.call")

    services.process_quote(eurusd, bid=D("1.09900"), ask=D("1.09920"))  # 98.3%: under the call level
    services.process_quote(eurusd, bid=D("1.09890"), ask=D("1.09910"))  # still under: no second event
    services.process_quote(eurusd, bid=D("1.09880"), ask=D("1.09900"))
    assert calls.count() == 1
    assert MarginCall.objects.filter(account=account).exists()

    services.process_quote(eurusd, bid=D("1.10100"), ask=D("1.10120"))  # recovered: the flag goes
    assert not MarginCall.objects.filter(account=account).exists()

    services.process_quote(eurusd, bid=D("1.09900"), ask=D("1.09920"))  # under again: a new margin call
    assert calls.count() == 2


def test_refusals_speak_the_callers_language(eurusd):
    account = fund(TradingAccountFactory(), "10.00")

    with translation.override("es"), pytest.raises(DomainError) as refused:
        services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    assert refused.value.message.startswith("No hay suficiente margen libre")
    assert refused.value.fields == {"lots": ["No hay suficiente margen libre."]}
