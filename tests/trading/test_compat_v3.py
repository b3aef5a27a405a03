"""001 front office v3 at the seed's paths: accounts, assets, markets, spot orders, stop orders, levels, info."""

from decimal import Decimal as D

import pytest

from crm.trading.models import GroupTradingSettings, Order
from tests.trading.compat_helpers import ORDER_V3_KEYS, STOP_ORDER_V3_KEYS, make_trader, other_account
from tests.trading.factories import TradingAccountFactory
from tests.wallets.helpers import state

pytestmark = pytest.mark.django_db

V3 = "/frontoffice/api/v3/"


@pytest.fixture
def trader():
    return make_trader()


def spot(**extra):
    return {"order": {"marketId": "EURUSD", "orderType": "Market", "side": "Buy", "requestedAmount": "10000",
                      "timeInForce": "Gtc", **extra}}  # fmt: skip


def test_accounts_lists_only_the_callers_trading_accounts(trader):
    other_account()
    TradingAccountFactory(customer=trader.customer, caption="Second", number="T-2")

    body = trader.client.get(V3 + "accounts").json()

    assert body == [
        {"accountId": trader.account.number, "accountName": trader.account.number, "accountType": "Hedging",
         "totalBalanceInRAT": "10000"},
        {"accountId": "T-2", "accountName": "Second", "accountType": "Hedging", "totalBalanceInRAT": "0"},
    ]  # fmt: skip


def test_assets_markets_levels_and_info(trader):
    assets = trader.client.get(V3 + "assets").json()
    markets = trader.client.get(V3 + "markets").json()
    detail = trader.client.get(V3 + "markets/EURUSD").json()
    defaults = trader.client.get(V3 + "margin-levels").json()
    GroupTradingSettings.objects.filter(group=trader.account.group).update(margin_call_level=120, stop_out_level=40)
    own = trader.get(V3 + "margin-levels").json()
    info = trader.client.get(V3 + "info").json()

    assert {"assetId": "USD", "assetName": trader.account.currency.name, "isRootAsset": True} in assets
    assert markets == [{"marketId": "EURUSD", "displayName": "EURUSD"}]
    assert set(detail) == {"marketId", "displayName", "baseAssetId", "quoteAssetId", "minAmount", "priceDeviation",
                           "priceScale", "amountScale", "status", "side", "isHidden"}  # fmt: skip
    assert (detail["baseAssetId"], detail["minAmount"]) == ("EUR", "1000")
    assert (detail["priceScale"], detail["amountScale"]) == (5, 2)  # the instrument's digits and amount_scale
    assert defaults == {"marginCallLevel": "100", "stopOutLevel": "50"}
    assert own == {"marginCallLevel": "120", "stopOutLevel": "40"}
    assert set(info) == {"serverTime", "serverTimeZone"}
    assert info["serverTimeZone"] == "UTC"
    assert trader.get(V3 + "margin-levels", account=other_account()).status_code == 404


def test_spot_order_data(trader):
    body = {"order": {"marketId": "EURUSD", "orderType": "Limit", "side": "Buy", "requestedPrice": "1.1",
                      "requestedQuoteAmount": "1100"}}  # fmt: skip

    response = trader.post(V3 + "order-data", body)
    both = trader.post(V3 + "order-data", {"order": {**body["order"], "requestedBaseAmount": "1"}})

    assert response.json() == {"order": {"baseAmount": "1000", "quoteAmount": "1100", "commissionAmount": "0",
                                         "total": "1100"}}  # fmt: skip
    assert both.status_code == 400


def test_place_get_list_and_cancel_orders(trader):
    filled = trader.post(V3 + "orders", spot())
    limit = trader.post(V3 + "orders", spot(orderType="Limit", requestedPrice="1.05"))
    order_id = limit.json()["order"]["orderId"]

    got = trader.get(f"{V3}orders/{order_id}")
    listed = trader.post(V3 + "order-list", {"orderStatus": ["Started"], "limit": 10}).json()["data"]
    cancelled = trader.client.delete(f"{V3}orders/{order_id}", **trader.headers())
    again = trader.client.delete(f"{V3}orders/{order_id}", **trader.headers())

    assert filled.status_code == 200
    assert set(filled.json()["order"]) == ORDER_V3_KEYS
    assert filled.json()["order"]["status"] == "Filled"
    assert filled.json()["order"]["requestedAmount"] == "10000"
    assert got.json()["order"]["status"] == "Started"
    assert [row["orderId"] for row in listed] == [order_id]
    assert cancelled.status_code == 200
    assert cancelled.json()["order"]["status"] == "Cancelled"
    assert again.status_code == 409
    assert Order.objects.get(pk=order_id).status == "cancelled"


def test_an_amount_off_the_lot_step_is_a_400(trader):
    response = trader.post(V3 + "orders", spot(requestedAmount="10000.5"))

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_stop_orders_place_and_cancel(trader):
    placed = trader.post(V3 + "stop-orders", spot(activationPrice="1.2"))
    order_id = placed.json()["order"]["orderId"]

    cancelled = trader.client.delete(f"{V3}stop-orders/{order_id}", **trader.headers())

    assert placed.status_code == 200
    assert set(placed.json()["order"]) == STOP_ORDER_V3_KEYS
    assert placed.json()["order"]["status"] == "WaitingForActivation"
    assert placed.json()["order"]["activationPrice"] == "1.2"
    assert cancelled.json()["order"]["status"] == "Cancelled"


def test_another_clients_orders_are_404s_and_unchanged(trader):
    theirs = other_account()
    before = state(theirs)
    placed = trader.post(V3 + "orders", spot(orderType="Limit", requestedPrice="1.05"))
    order_id = placed.json()["order"]["orderId"]
    Order.objects.filter(pk=order_id).update(account=theirs)

    assert trader.post(V3 + "orders", spot(), account=theirs).status_code == 404
    assert trader.get(f"{V3}orders/{order_id}").status_code == 404
    assert trader.client.delete(f"{V3}orders/{order_id}", **trader.headers()).status_code == 404
    assert trader.client.delete(f"{V3}orders/{order_id}", **trader.headers(theirs)).status_code == 404
    assert Order.objects.get(pk=order_id).status == "pending"
    assert state(theirs) == before
    assert Order.objects.get(pk=order_id).lots == D("0.1")
