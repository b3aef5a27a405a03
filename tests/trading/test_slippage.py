"""Slippage on market fills and stop triggers, within the instrument's slippage rate; fills beyond the price
deviation from the price asked are refused. The draw is fixed per test (`slippage_draw` replaced)."""

from decimal import Decimal as D

import pytest

from crm.trading import formulas, services
from crm.trading.exceptions import InvalidPrice
from crm.trading.models import Order, Position
from crm.trading.services import execution
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD", slippage_rate=D("0.01"))
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    return fund(TradingAccountFactory(), "10000.00")


@pytest.fixture
def draw(monkeypatch):
    def fix(value: str) -> None:
        monkeypatch.setattr(execution, "slippage_draw", lambda: D(value))

    return fix


@pytest.mark.parametrize("value", ["-1", "-0.3", "0", "0.77", "1"])
def test_a_slipped_price_stays_within_the_rate_in_whole_points(value):
    price, rate, point = D("1.10020"), D("0.01"), D("0.00001")
    for side in formulas.Side:
        slipped = formulas.slipped_price(price, side=side, rate_percent=rate, draw=D(value), point=point)
        assert abs(slipped - price) <= price * rate / 100
        assert (slipped - price) % point == 0


def test_a_market_buy_slips_against_the_client_by_the_draw(account, eurusd, draw):
    draw("0.5")  # 1.10020 x 0.01% x 0.5 = 0.0000055 -> 5 points

    order = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    assert order.fill_price == order.position.open_price == D("1.10025")


def test_a_market_sell_may_slip_in_the_clients_favour(account, eurusd, draw):
    draw("-1")  # 1.10000 x 0.01% = 11 points, towards the client: a sell fills higher

    order = services.place_order(account, instrument=eurusd, side="sell", lots=D("1.00"))

    assert order.fill_price == D("1.10011")


def test_without_a_slippage_rate_fills_are_at_the_quote(account, draw):
    draw("1")
    gbpusd = InstrumentFactory(symbol="GBPUSD")
    quote(gbpusd, "1.25000", "1.25010")

    order = services.place_order(account, instrument=gbpusd, side="buy", lots=D("1.00"))

    assert order.fill_price == D("1.25010")


def test_a_triggered_stop_order_slips_and_a_limit_order_does_not(account, eurusd, draw):
    draw("1")
    stop = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.10"), order_type=Order.Type.STOP, price=D("1.10100")
    )
    limit = services.place_order(
        account, instrument=eurusd, side="sell", lots=D("0.10"), order_type=Order.Type.LIMIT, price=D("1.10050")
    )

    services.process_quote(eurusd, bid=D("1.10080"), ask=D("1.10100"))
    stop.refresh_from_db()
    limit.refresh_from_db()

    assert stop.fill_price == D("1.10111")  # 1.10100 + 11 points (1.101 x 0.01%)
    assert limit.fill_price == D("1.10080")  # at the bid, no slippage


def test_a_stop_loss_close_slips_and_a_take_profit_does_not(account, eurusd, draw):
    draw("0")
    first = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10")).position
    second = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10")).position
    draw("1")

    services.close_position(first, reason=Position.CloseReason.STOP_LOSS)
    services.close_position(second, reason=Position.CloseReason.TAKE_PROFIT)
    first.refresh_from_db()
    second.refresh_from_db()

    assert first.close_price == D("1.09989")  # the bid 1.10000 less 11 points
    assert second.close_price == D("1.10000")


def test_a_stop_order_filling_beyond_the_price_deviation_is_rejected(account, eurusd, draw):
    draw("1")
    eurusd.price_deviation = D("0.005")  # 1.101 x 0.005% = 5.5 points; the slip is 11
    eurusd.save()
    stop = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("0.10"), order_type=Order.Type.STOP, price=D("1.10100")
    )
    quote(eurusd, "1.10080", "1.10100")

    services.fill_pending_order(stop)
    stop.refresh_from_db()

    assert stop.status == Order.Status.REJECTED
    assert "over the allowed 0.005%" in stop.reject_reason
    assert not Position.objects.exists()


def test_a_market_order_beyond_the_price_deviation_from_its_price_is_refused(account, eurusd, draw):
    draw("0")
    eurusd.price_deviation = D("0.1")
    eurusd.save()
    before = state(account)

    with pytest.raises(InvalidPrice) as refused:
        services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"), price=D("1.09000"))
    assert state(account) == before
    assert not Order.objects.exists()
    accepted = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"), price=D("1.10000"))

    assert refused.value.fields == {"price": ["Beyond the price deviation."]}
    assert accepted.fill_price == D("1.10020")  # 0.018% from 1.10000
