"""001 front office v4 at the seed's paths: orders, positions, executions, markets, through the API."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm.trading.models import Deal, Instrument, Order, Position
from tests.trading.compat_helpers import (
    CLOSED_POSITION_KEYS,
    EXECUTION_KEYS,
    MARKET_V4_KEYS,
    ORDER_V4_KEYS,
    make_trader,
    other_account,
)
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import state

pytestmark = pytest.mark.django_db

CFD = "/frontoffice/api/cfd/v4/"
V4 = "/frontoffice/api/v4/"


def market_order(**extra):
    return {"order": {"marketId": "EURUSD", "orderType": "Market", "side": "Buy", "requestedLotAmount": "0.10",
                      "timeInForce": "Ioc", **extra}}  # fmt: skip


@pytest.fixture
def trader():
    return make_trader()


def open_position(trader, lots="0.10") -> Position:
    response = trader.post(CFD + "orders", market_order(requestedLotAmount=lots))
    assert response.status_code == 200, response.json()
    return Order.objects.get(pk=response.json()["order"]["orderId"]).position


def test_a_market_order_fills_through_the_engine(trader):
    response = trader.post(CFD + "orders", market_order())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"order"}
    assert set(body["order"]) == {"orderId", "status"}
    assert body["order"]["status"] == "Filled"
    position = Position.objects.get(account=trader.account)
    assert (position.side, position.lots, position.open_price) == ("buy", D("0.10"), D("1.10020"))


def test_another_clients_account_is_a_404_and_changes_nothing(trader):
    theirs = other_account()
    before = state(theirs)

    response = trader.post(CFD + "orders", market_order(), account=theirs)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert state(theirs) == before
    assert not Order.objects.exists()


def test_the_account_header_is_required_and_a_token_too(trader):
    response = trader.client.post(CFD + "orders", market_order(), format="json")
    assert response.status_code == 400
    assert "accountId" in response.json()["error"]["fields"]

    anonymous = APIClient().post(CFD + "orders", market_order(), format="json", HTTP_ACCOUNTID=trader.account.number)
    assert anonymous.status_code == 401


def test_a_refused_order_is_a_400_with_nothing_written(trader):
    before = state(trader.account)

    response = trader.post(CFD + "orders", market_order(requestedLotAmount="500"))

    assert response.status_code == 400
    assert state(trader.account) == before
    assert not Order.objects.exists()


def test_limit_and_stop_orders_wait(trader):
    limit = trader.post(CFD + "orders", market_order(orderType="Limit", requestedPrice="1.05", timeInForce="Gtc"))
    stop = trader.post(CFD + "stop-orders", market_order(activationPrice="1.20", timeInForce="Gtc"))
    gtd = trader.post(CFD + "orders", market_order(orderType="Limit", requestedPrice="1.05", timeInForce="Gtd",
                                                   cancellationDate="2099-01-01T00:00:00Z"))  # fmt: skip

    assert limit.json()["order"]["status"] == "Started"
    assert stop.json()["order"]["status"] == "WaitingForActivation"
    assert Order.objects.get(pk=stop.json()["order"]["orderId"]).price == D("1.20")
    assert Order.objects.get(pk=gtd.json()["order"]["orderId"]).time_in_force == "GTD"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"orderType": "Limit", "timeInForce": "Gtc"}, "order.requestedPrice"),
        ({"orderType": "Limit", "requestedPrice": "1.05", "timeInForce": "Fok"}, "order.timeInForce"),
        ({"orderType": "Limit", "requestedPrice": "1.05", "timeInForce": "Gtd"}, "order.cancellationDate"),
        ({"leverage": 50}, "order.leverage"),
        ({"stopLoss": {"price": "1.0", "isTrailing": True}}, "order.stopLoss.isTrailing"),
        ({"side": "Long"}, "order.side"),
    ],
)
def test_bad_orders_are_400_with_the_field(trader, extra, field):
    response = trader.post(CFD + "orders", market_order(**extra))

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_a_stop_limit_order_is_refused(trader):
    response = trader.post(CFD + "stop-orders", market_order(orderType="Limit", activationPrice="1.2"))

    assert response.status_code == 400
    assert "order.orderType" in response.json()["error"]["fields"]


def test_perpetual_endpoints_take_perpetual_markets_only(trader):
    assert trader.post("/frontoffice/api/perpetual/v4/orders", market_order()).status_code == 404
    btc = InstrumentFactory(symbol="BTCUSD", market_type=Instrument.MarketType.PERPETUAL, contract_size=D(1),
                            digits=2, tick_size=D("0.01"), margin_calc_mode=2, profit_calc_mode=2)  # fmt: skip
    quote(btc, "64000.00", "64010.00")

    response = trader.post("/frontoffice/api/perpetual/v4/orders", market_order(marketId="BTCUSD"))

    assert response.status_code == 200, response.json()
    assert response.json()["order"]["status"] == "Filled"


def test_order_data_gives_margin_commission_and_triggers(trader):
    body = market_order(takeProfit={"triggerType": "Points", "triggerSize": "100"},
                        stopLoss={"triggerType": "Pnl", "triggerSize": "20", "isTrailing": False})  # fmt: skip
    del body["order"]["timeInForce"]

    response = trader.post(CFD + "order-data", body)

    assert response.status_code == 200, response.json()
    order = response.json()["order"]
    assert set(order) == {"requiredMarginInRAT", "quoteAmount", "commissionAmountInRAT", "marginLevel",
                          "takeProfit", "stopLoss"}  # fmt: skip
    assert order["requiredMarginInRAT"] == "110.02"  # 0.1 lot x 100000 EUR / 100, at the ask 1.10020
    assert order["quoteAmount"] == "11002"
    assert order["commissionAmountInRAT"] == "0"
    assert order["takeProfit"] == {"price": "1.1012", "rate": "0.0909", "points": 100, "pnl": "10"}
    assert order["stopLoss"] == {"price": "1.0982", "rate": "0.1818", "points": 200, "pnl": "-20"}
    assert not Order.objects.exists()


def test_one_order_with_the_seed_fields(trader):
    position = open_position(trader)
    order = position.orders.get()

    response = trader.get(f"{V4}orders/{order.pk}")

    assert response.status_code == 200
    body = response.json()["order"]
    assert set(body) == ORDER_V4_KEYS
    assert body | {"createdAt": None, "updatedAt": None} == body | {
        "marketId": "EURUSD", "marketType": "Cfd", "status": "Filled", "source": "Manual", "reason": "Trader",
        "side": "Buy", "orderType": "Market", "requestedAmount": "0.1", "remainingAmount": "0",
        "executionPrice": "1.1002", "commissionAssetId": "USD", "leverage": 100, "fillFactor": "1",
        "createdAt": None, "updatedAt": None,
    }  # fmt: skip


def test_another_clients_order_is_a_404(trader):
    theirs = other_account()
    own = open_position(trader)
    Order.objects.filter(pk=own.orders.get().pk).update(account=theirs)

    assert trader.get(f"{V4}orders/{own.orders.get().pk}").status_code == 404
    assert trader.get(f"{V4}orders/{own.orders.get().pk}", account=theirs).status_code == 404


def test_order_list_pages_by_last_order_id(trader):
    ids = [
        trader.post(CFD + "orders", market_order(orderType="Limit", requestedPrice=price, timeInForce="Gtc")).json()
        for price in ("1.01", "1.02", "1.03")
    ]
    ids = [int(item["order"]["orderId"]) for item in ids]

    first = trader.post(V4 + "order-list", {"limit": 2}).json()["data"]
    rest = trader.post(V4 + "order-list", {"limit": 2, "lastOrderId": first[-1]["orderId"]}).json()["data"]
    filled = trader.post(V4 + "order-list", {"orderStatus": ["Filled"]}).json()["data"]

    assert [int(row["orderId"]) for row in first] == [ids[2], ids[1]]
    assert [int(row["orderId"]) for row in rest] == [ids[0]]
    assert set(first[0]) == ORDER_V4_KEYS
    assert filled == []


def test_order_list_queries_do_not_grow_with_rows(trader):
    open_position(trader)
    with CaptureQueriesContext(connection) as few:
        trader.post(V4 + "order-list", {})
    for _ in range(4):
        open_position(trader)
    with CaptureQueriesContext(connection) as many:
        rows = trader.post(V4 + "order-list", {}).json()["data"]

    assert len(rows) == 5
    assert len(many) == len(few)


def test_close_calculation_and_a_partial_close(trader):
    position = open_position(trader)
    url = f"{V4}positions/{position.pk}/close"

    calc = trader.post(url + "/calculation", {"closePositionLotAmountInPercent": "45"}).json()
    closed = trader.post(url, {"closePositionLotAmount": calc["closePositionLotAmount"]})

    assert calc == {"closePositionLotAmount": "0.04", "closePositionLotAmountInPercent": "40"}
    assert closed.status_code == 200
    assert closed.json() == {"positionId": str(position.pk)}
    position.refresh_from_db()
    assert position.lots == D("0.06")
    assert position.status == "open"


def test_closed_positions_and_executions(trader):
    position = open_position(trader)
    order = position.orders.get()
    trader.post(f"{V4}positions/{position.pk}/close", {"closePositionLotAmount": "0.04"})
    trader.post(f"{V4}positions/{position.pk}/close", {"closePositionLotAmount": "0.06"})

    closed = trader.post(V4 + "orders/closed-positions", {"limit": 1}).json()
    after = trader.post(V4 + "orders/closed-positions", {"lastOrderId": closed["data"][0]["orderId"]}).json()
    by_order = trader.post(V4 + "orders/executions/list", {"orderIds": [str(order.pk)], "limit": 10}).json()
    one_order = trader.post(f"{V4}orders/{order.pk}/executions/list", {"limit": 10}).json()
    by_position = trader.post(V4 + "positions/executions/list", {"positionIds": [str(position.pk)], "limit": 2})
    paged = trader.post(f"{V4}positions/{position.pk}/executions/list", {"limit": 2, "offset": 2}).json()

    assert closed["isExceeded"] is True
    assert after["isExceeded"] is False
    assert set(closed["data"][0]) == CLOSED_POSITION_KEYS
    assert [row["positionCloseLotAmount"] for row in closed["data"] + after["data"]] == ["0.06", "0.04"]
    assert closed["data"][0]["reason"] == "Trader"
    assert closed["data"][0]["side"] == "Sell"
    assert set(by_order) == {"executions", "isExceeded"}
    assert by_order["isExceeded"] is False
    assert set(by_order["executions"][0]) == EXECUTION_KEYS | {"realizedPnlInRAT"}
    assert one_order["executions"] == by_order["executions"]
    assert set(by_position.json()) == {"executions"}
    assert [set(row) for row in by_position.json()["executions"]] == [EXECUTION_KEYS] * 2
    assert len(paged["executions"]) == 1
    assert paged["executions"][0]["orderId"] == str(order.pk)
    assert Deal.objects.filter(position=position).count() == 3


def test_a_closed_or_anothers_position_is_a_404(trader):
    position = open_position(trader)
    theirs = TradingAccountFactory()
    Position.objects.filter(pk=position.pk).update(account=theirs)

    assert trader.post(f"{V4}positions/{position.pk}/close", {"closePositionLotAmount": "0.1"}).status_code == 404
    assert Position.objects.get(pk=position.pk).status == "open"


def test_triggers_and_trigger_data(trader):
    position = open_position(trader)
    url = f"{V4}positions/{position.pk}/"

    triggers = {"takeProfit": {"triggerType": "Percent", "triggerSize": "1"},
                "stopLoss": {"triggerType": "Price", "triggerSize": "1.09"}}  # fmt: skip
    data = trader.post(url + "trigger-data", triggers)
    put = trader.client.put(url + "triggers", {"takeProfit": {"price": "1.12"}, "stopLoss": {"price": "1.09"}},
                            format="json", **trader.headers())  # fmt: skip
    trailing = trader.client.put(url + "triggers", {"stopLoss": {"price": "1.09", "isTrailing": True}},
                                 format="json", **trader.headers())  # fmt: skip

    assert data.status_code == 200
    assert data.json()["takeProfit"] == {"price": "1.1112", "rate": "0.9998", "points": 1100, "pnl": "110"}
    assert data.json()["stopLoss"]["pnl"] == "-102"
    assert put.status_code == 200
    assert put.json() == {"positionId": str(position.pk)}
    assert trailing.status_code == 400
    position.refresh_from_db()
    assert (position.take_profit, position.stop_loss) == (D("1.12"), D("1.09"))


def test_markets_and_categories(trader):
    InstrumentFactory(symbol="XAUUSD", category=Instrument.Category.METALS, sessions={"mon": [["01:00", "24:00"]]})

    listed = trader.client.get(V4 + "markets").json()
    detail = trader.client.get(V4 + "markets/XAUUSD").json()
    categories = trader.client.get(V4 + "markets-categories").json()

    assert [row["marketId"] for row in listed] == ["EURUSD", "XAUUSD"]
    assert set(listed[0]) == {"marketId", "displayName", "fullName", "type", "subtype"}
    assert set(detail) == MARKET_V4_KEYS
    assert detail["calendar"]["tradingSessions"] == [
        {"dayOfWeek": "Monday", "timeIntervals": [{"start": "01:00:00", "end": "23:59:59"}]}
    ]
    assert detail["lotSize"] == 100000
    assert detail["subtype"] == "Metals"
    assert categories == {"categories": [{"id": "Forex", "name": "Forex", "categories": []},
                                         {"id": "Metals", "name": "Metals", "categories": []}]}  # fmt: skip
    assert trader.client.get(V4 + "markets/NOPE").status_code == 404


def test_margin_assets(trader):
    listed = trader.get(V4 + "account-margin-settings/assets").json()
    url = V4 + "account-margin-settings/assets/"

    assert listed == {"assets": [{"assetId": "USD", "assetName": trader.account.currency.name, "available": "10000",
                                  "total": "10000", "marginRatio": "1", "isSelected": True}]}  # fmt: skip
    assert trader.post(url + "USD").json() == {}
    assert trader.client.delete(url + "USD", **trader.headers()).status_code == 400
    assert trader.post(url + "EUR").status_code == 404
    assert trader.get(V4 + "account-margin-settings/assets", account=other_account()).status_code == 404
