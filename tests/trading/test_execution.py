"""Placing, filling and closing: margin checks, fills at bid/ask, money through the ledger, events."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.core.models import OutboxEvent
from crm.trading import selectors, services
from crm.trading.exceptions import InvalidPrice, InvalidVolume, MarketClosed, NotEnoughMargin, PositionClosed
from crm.trading.models import Deal, GroupTradingSettings, Order, Position
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    account = fund(TradingAccountFactory(), "10000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(commission_per_lot=D("3.50"))
    return account


def test_market_buy_fills_at_the_ask_and_charges_commission_through_the_ledger(account, eurusd):
    order = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    account.refresh_from_db()
    position = order.position
    assert (order.status, order.fill_price) == (Order.Status.FILLED, D("1.10020"))
    assert (position.side, position.lots, position.open_price) == ("buy", D("1.00"), D("1.10020"))
    assert account.balance == D("9996.50")
    assert wallet_services.system_account("fee_income", "USD").postings.get().amount == D("3.50")
    assert Deal.objects.get().entry == Deal.Entry.IN
    assert set(OutboxEvent.objects.values_list("name", flat=True)) == {"order.filled", "position.opened"}


def test_order_beyond_free_margin_is_refused_and_nothing_changes(eurusd):
    account = fund(TradingAccountFactory(), "1000.00")
    before = state(account)

    with pytest.raises(NotEnoughMargin) as refusal:
        services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))  # margin 1,100.20 USD

    assert "1100.20 USD of margin" in refusal.value.message
    assert state(account) == before
    assert (Order.objects.count(), Position.objects.count()) == (0, 0)


def test_volume_outside_the_instrument_steps_is_refused(account, eurusd):
    with pytest.raises(InvalidVolume):
        services.place_order(account, instrument=eurusd, side="buy", lots=D("0.015"))
    with pytest.raises(InvalidVolume):
        services.place_order(account, instrument=eurusd, side="buy", lots=D("101"))


def test_market_closed_outside_sessions_is_refused(account, eurusd):
    eurusd.sessions = {"sat": [["00:00", "00:01"]]}
    eurusd.save()

    with pytest.raises(MarketClosed):
        services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"))


def test_stop_loss_on_the_wrong_side_is_refused(account, eurusd):
    with pytest.raises(InvalidPrice) as refusal:
        services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10"), stop_loss=D("1.2"))

    assert "stop_loss" in refusal.value.fields


def test_closing_a_buy_at_the_bid_posts_the_profit_against_the_trading_account(account, eurusd):
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    quote(eurusd, "1.10520", "1.10540")

    deal = services.close_position(position)

    account.refresh_from_db()
    position.refresh_from_db()
    assert (deal.price, deal.profit, deal.commission) == (D("1.10520"), D("500.00"), D("3.50"))
    assert (position.status, position.close_reason, position.profit) == ("closed", "client", D("500.00"))
    assert account.balance == D("10000.00") - D("3.50") + D("500.00") - D("3.50")
    trading = wallet_services.system_account(Wallet.SystemCode.TRADING, "USD")
    assert trading.postings.get().amount == D("-500.00")
    closed = OutboxEvent.objects.get(name="position.closed").payload
    assert (closed["instrument"], closed["lots"], closed["commission"], closed["profit"]) == (
        "EURUSD",
        "1.00",
        "7.00",
        "500.00",
    )
    call_command("verify_ledger")


def test_cross_currency_profit_is_converted_into_the_account_currency(account):
    usdjpy = InstrumentFactory(symbol="USDJPY", digits=3, tick_size=D("0.001"))
    quote(usdjpy, "150.000", "150.000")
    position = services.place_order(account, instrument=usdjpy, side="sell", lots=D("1.00")).position
    quote(usdjpy, "149.500", "149.500")

    deal = services.close_position(position)

    assert deal.profit == D("334.45")  # 50,000 JPY at 149.5


def test_partial_close_leaves_the_rest_open(account, eurusd):
    position = services.place_order(account, instrument=eurusd, side="sell", lots=D("1.00")).position

    services.close_position(position, lots=D("0.40"))

    position.refresh_from_db()
    assert (position.status, position.lots, position.opened_lots) == ("open", D("0.60"), D("1.00"))
    assert Deal.objects.filter(entry="out").get().lots == D("0.40")


def test_closing_a_closed_position_is_refused_or_skipped(account, eurusd):
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10")).position
    services.close_position(position)

    with pytest.raises(PositionClosed):
        services.close_position(position)
    assert services.close_position(position, if_open=True) is None
    assert Deal.objects.filter(entry="out").count() == 1


def test_a_loss_larger_than_the_balance_stops_at_zero_and_the_broker_bears_the_rest(eurusd):
    account = fund(TradingAccountFactory(), "1200.00")
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    quote(eurusd, "1.08000", "1.08020")

    deal = services.close_position(position)

    account.refresh_from_db()
    assert deal.profit == D("-2020.00")
    assert account.balance == D("0.00")
    assert deal.compensation == D("820.00")
    call_command("verify_ledger")


def test_account_state_reports_equity_margin_and_level(account, eurusd):
    services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))
    quote(eurusd, "1.10120", "1.10140")

    figures = services.refresh_account(account)

    account.refresh_from_db()
    assert figures.floating == D("100.00000")
    assert account.equity == D("10096.50")
    assert account.margin == D("1101.40")  # 1,000 EUR converted at the current ask
    assert account.free_margin == D("8995.10")
    assert account.margin_level == D("916.6969")


def test_hedged_positions_with_no_hedged_margin_charge_only_the_uncovered_volume(account, eurusd):
    services.place_order(account, instrument=eurusd, side="buy", lots=D("2.00"))
    services.place_order(account, instrument=eurusd, side="sell", lots=D("1.50"))

    figures = selectors.account_state(account)

    assert Position.objects.open().count() == 2
    assert figures.margin.quantize(D("0.01")) == D("550.10")  # 0.5 lot of the larger (buy) leg


def test_orders_worth_less_than_the_markets_minimum_value_are_refused_and_change_nothing(account, eurusd):
    eurusd.min_quote_amount = D("50000")  # USD: 0.40 lots at 1.10020 are worth 44,008
    eurusd.save()
    before = state(account)

    for order_type, price in (("market", None), ("limit", D("1.09000"))):
        with pytest.raises(InvalidVolume) as refused:
            services.place_order(
                account, instrument=eurusd, side="buy", lots=D("0.40"), order_type=order_type, price=price
            )
        assert refused.value.fields == {"lots": ["The smallest order of EURUSD is worth 50000.00 USD."]}
    assert state(account) == before
    assert not Order.objects.exists()

    filled = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.50"))  # worth 55,010
    assert filled.status == Order.Status.FILLED


def test_a_market_order_needs_a_price_younger_than_the_markets_ttl(account, eurusd):
    from crm.trading.exceptions import NoQuote
    from crm.trading.models import Quote

    eurusd.internal_ttl = 10
    eurusd.save()
    Quote.objects.filter(instrument=eurusd).update(time=timezone.now() - dt.timedelta(seconds=30))
    before = state(account)

    with pytest.raises(NoQuote) as refused:
        services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))
    assert "older than 10 seconds" in refused.value.message
    assert state(account) == before
    assert not Order.objects.exists()
    pending = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("1.00"), order_type="limit", price=D("1.09000")
    )
    assert pending.status == Order.Status.PENDING  # waits for a tick, which is fresh by definition

    quote(eurusd, "1.10000", "1.10020")
    assert services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).status == Order.Status.FILLED
