"""Spot trading through the APIs: 001 v3 order-data and orders on a spot market, the portal's spot orders and
asset balances, the back office's order list and a user's accounts (001 v2), and the dealer's admin lists."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from crm.trading import services
from crm.trading.models import CommissionProfile, CommissionRule, FeeType, GroupTradingSettings, Order, SpotFill
from crm.wallets.models import Currency
from tests.conftest import staff_with_role
from tests.customers.factories import PortalCustomerFactory
from tests.trading.compat_helpers import ORDER_V3_KEYS, make_trader
from tests.trading.factories import TradingAccountFactory, spot_market
from tests.trading.test_backapi_settings import BASE, _client
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db

V3 = "/frontoffice/api/v3/"


def _spot_terms(account, *, percent="0.1"):
    """Markup 100 points (1.00 USD on BTCUSD) and a 0.1% spot fee on the account's group."""
    profile = CommissionProfile.objects.create(name=f"Spot {account.pk}")
    CommissionRule.objects.create(profile=profile, priority=1, spot_fee_type=FeeType.PERCENT, spot_fee_size=D(percent))
    GroupTradingSettings.objects.filter(group=account.group).update(markup_points=100, commission_profile=profile)


@pytest.fixture
def trader():
    trader = make_trader(balance="1000.00")
    spot_market("BTCUSD", bid="50000.00", ask="50010.00")
    _spot_terms(trader.account)
    return trader


def _btc_order(**extra):
    order = {"marketId": "BTCUSD", "orderType": "Market", "side": "Buy", "requestedAmount": "0.01",
             "timeInForce": "Gtc", **extra}  # fmt: skip
    return {"order": order}


# 001 v3 ------------------------------------------------------------------------------------------------------


def test_v3_order_data_of_a_spot_market_by_base_and_by_quote_amount(trader):
    by_base = trader.post(V3 + "order-data", {"order": {"marketId": "BTCUSD", "orderType": "Market", "side": "Buy",
                                                         "requestedBaseAmount": "0.01"}})  # fmt: skip
    by_quote = trader.post(V3 + "order-data", {"order": {"marketId": "BTCUSD", "orderType": "Market", "side": "Sell",
                                                          "requestedQuoteAmount": "100"}})  # fmt: skip
    limit_buy = {"marketId": "BTCUSD", "orderType": "Limit", "side": "Buy", "requestedPrice": "40000",
                 "requestedQuoteAmount": "100"}  # fmt: skip
    limit = trader.post(V3 + "order-data", {"order": limit_buy})

    # buy 0.01 at 50,010 + 1 = 500.11, fee 0.1% = 0.50, total 500.61
    assert by_base.json() == {"order": {"baseAmount": "0.01", "quoteAmount": "500.11", "commissionAmount": "0.5",
                                        "total": "500.61"}}  # fmt: skip
    # sell at 50,000 - 1 = 49,999: 100 / 49,999 -> 0.002 BTC = 99.998 -> 99.99, fee 0.09999 -> 0.10, total 99.89
    assert by_quote.json() == {"order": {"baseAmount": "0.002", "quoteAmount": "99.99", "commissionAmount": "0.1",
                                         "total": "99.89"}}  # fmt: skip
    assert limit.json()["order"] == {"baseAmount": "0.0025", "quoteAmount": "100", "commissionAmount": "0.1",
                                     "total": "100.1"}  # fmt: skip
    assert Order.objects.count() == 0


def test_v3_order_data_below_the_smallest_volume_is_a_400_on_the_quote_amount(trader):
    response = trader.post(V3 + "order-data", {"order": {"marketId": "BTCUSD", "orderType": "Market",
                                                          "side": "Buy", "requestedQuoteAmount": "1"}})  # fmt: skip

    zero = trader.post(V3 + "order-data", {"order": {"marketId": "BTCUSD", "orderType": "Market", "side": "Buy",
                                                      "requestedBaseAmount": "0"}})  # fmt: skip

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["order.requestedQuoteAmount"]
    assert list(zero.json()["error"]["fields"]) == ["order.requestedBaseAmount"]


def test_v3_spot_order_fills_moves_the_assets_and_shows_the_fee(trader):
    response = trader.post(V3 + "orders", _btc_order())

    body = response.json()["order"]
    trader.account.refresh_from_db()
    assert response.status_code == 200
    assert set(body) == ORDER_V3_KEYS
    assert (body["status"], body["executionPrice"], body["commission"], body["requestedAmount"]) == (
        "Filled", "50011", "0.5", "0.01"
    )  # fmt: skip
    assert trader.account.balance == D("1000.00") - D("500.61")
    listed = trader.post(V3 + "order-list", {"limit": 10}).json()["data"]
    assert [(row["orderId"], row["commission"]) for row in listed] == [(body["orderId"], "0.5")]
    accounts = trader.client.get(V3 + "accounts").json()
    assert [row["totalBalanceInRAT"] for row in accounts] == ["999.39"]  # 499.39 USD + 0.01 BTC at the 50,000 bid


def test_v4_lists_a_spot_order_with_its_fee_in_the_quote_asset(trader):
    btceur = spot_market("BTCEUR", bid="45000.00", ask="45010.00")
    euros = services.asset_wallet(trader.account, Currency.objects.get(code="EUR"), create=True)
    fund(euros, "1000.00")
    services.place_spot_order(trader.account, instrument=btceur, side="buy", base_amount=D("0.01"))

    rows = trader.post("/frontoffice/api/v4/order-list", {}).json()["data"]

    # 0.01 BTC at 45,010 + 1.00 = 450.11 EUR; fee 0.1% = 0.45 EUR
    assert [(row["marketId"], row["commissionAmount"], row["commissionAssetId"]) for row in rows] == [
        ("BTCEUR", "0.45", "EUR")
    ]
    euros.refresh_from_db()
    assert euros.balance == D("1000.00") - D("450.11") - D("0.45")


def test_v3_spot_order_the_account_cannot_pay_is_a_400_and_nothing_changes(trader):
    before = state(trader.account)

    response = trader.post(V3 + "orders", _btc_order(requestedAmount="0.02"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "insufficient_assets"
    assert list(response.json()["error"]["fields"]) == ["order.requestedAmount"]
    assert state(trader.account) == before
    assert Order.objects.count() == 0


def test_v3_spot_limit_and_stop_orders_wait_and_cancel(trader):
    limit = trader.post(V3 + "orders", _btc_order(orderType="Limit", requestedPrice="45000"))
    stop = trader.post(V3 + "stop-orders", _btc_order(orderType="Stop", activationPrice="60000"))
    order_id = limit.json()["order"]["orderId"]

    cancelled = trader.client.delete(f"{V3}orders/{order_id}", **trader.headers())

    assert limit.json()["order"]["status"] == "Started"
    assert stop.json()["order"]["status"] == "WaitingForActivation"
    assert cancelled.json()["order"]["status"] == "Cancelled"
    assert SpotFill.objects.count() == 0


# Portal --------------------------------------------------------------------------------------------------------


@pytest.fixture
def account():
    account = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "1000.00")
    _spot_terms(account)
    spot_market("BTCUSD", bid="50000.00", ask="50010.00")
    return account


@pytest.fixture
def portal(api_client, account):
    api_client.force_authenticate(account.customer.user)
    return api_client


def test_portal_spot_order_by_quote_amount_and_the_balances_after_it(portal, account):
    url = reverse("portal:trading-account-spot-orders", args=[account.pk])

    placed = portal.post(url, {"symbol": "BTCUSD", "side": "buy", "quote_amount": "100.00"}, format="json")
    balances = portal.get(reverse("portal:trading-account-balances", args=[account.pk]))

    fill = placed.json()["spot_fill"]
    assert placed.status_code == 201
    # 100 / 50,011 -> 0.0019 BTC = 95.0209 -> 95.03 USD, fee 0.0950209 -> 0.10
    assert (placed.json()["status"], placed.json()["position"]) == ("filled", None)
    assert (fill["base_currency"], fill["base_amount"], fill["quote_amount"], fill["fee"]) == (
        "BTC", "0.00190000", "95.03000000", "0.10000000"
    )  # fmt: skip
    assert [(row["asset"], row["balance"]) for row in balances.json()] == [
        ("USD", "904.87000000"),
        ("BTC", "0.00190000"),
    ]


def test_portal_spot_order_refusals_are_400s_with_field_errors(portal, account):
    url = reverse("portal:trading-account-spot-orders", args=[account.pk])
    before = state(account)

    both = portal.post(
        url, {"symbol": "BTCUSD", "side": "buy", "base_amount": "1", "quote_amount": "1"}, format="json"
    )
    poor = portal.post(url, {"symbol": "BTCUSD", "side": "sell", "base_amount": "0.01"}, format="json")

    assert both.status_code == 400
    assert list(both.json()["error"]["fields"]) == ["base_amount"]
    assert (poor.status_code, poor.json()["error"]["code"]) == (400, "insufficient_assets")
    assert state(account) == before


def test_portal_spot_orders_and_balances_of_another_clients_account_are_404s(portal, account):
    theirs = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "1000.00")
    before = state(theirs)

    placed = portal.post(
        reverse("portal:trading-account-spot-orders", args=[theirs.pk]),
        {"symbol": "BTCUSD", "side": "buy", "base_amount": "0.001"},
        format="json",
    )
    balances = portal.get(reverse("portal:trading-account-balances", args=[theirs.pk]))

    assert (placed.status_code, balances.status_code) == (404, 404)
    assert state(theirs) == before
    assert Order.objects.count() == 0


def test_portal_order_list_shows_spot_fills_in_a_fixed_number_of_queries(portal, account):
    url = reverse("portal:trading-order-list")
    services.place_spot_order(account, instrument=spot_market(), side="buy", base_amount=D("0.001"))
    portal.get(url)
    with CaptureQueriesContext(connection) as one:
        assert portal.get(url).status_code == 200
    for _ in range(3):
        services.place_spot_order(account, instrument=spot_market(), side="buy", base_amount=D("0.001"))

    with CaptureQueriesContext(connection) as four:
        rows = portal.get(url).json()["results"]

    assert len(four) == len(one)
    assert [row["spot_fill"]["base_amount"] for row in rows] == ["0.00100000"] * 4


# Back office ---------------------------------------------------------------------------------------------------


def test_backoffice_orders_show_the_spot_fill(api_client, account):
    services.place_spot_order(account, instrument=spot_market(), side="buy", base_amount=D("0.001"))
    api_client.force_authenticate(staff_with_role(Role.DEALER))

    rows = api_client.get(reverse("backoffice:order-list")).json()["results"]

    assert [(row["symbol"], row["spot_fill"]["fee"]) for row in rows] == [("BTCUSD", "0.05000000")]


def test_backapi_v2_user_accounts_list_the_assets_an_account_holds_as_its_balances(account):
    services.place_spot_order(account, instrument=spot_market(), side="buy", base_amount=D("0.001"))

    body = _client(Role.DEALER).get(f"{BASE}/users/{account.customer_id}/accounts").json()  # 50.02 + 0.05 paid

    assert [(row["accountId"], row["balances"]) for row in body] == [
        (
            account.number,
            [
                {"assetId": "USD", "locked": "0.00000000", "total": "949.93000000"},
                {"assetId": "BTC", "locked": "0.00000000", "total": "0.00100000"},
            ],
        )
    ]


@pytest.mark.parametrize("url_name", ["admin:trading_spotfill_changelist", "admin:trading_spotholding_changelist"])
def test_dealer_admin_spot_lists_are_flat(client, url_name):
    client.force_login(staff_with_role(Role.DEALER))
    btcusd = spot_market()
    first = fund(TradingAccountFactory(), "1000.00")
    services.place_spot_order(first, instrument=btcusd, side="buy", base_amount=D("0.001"))
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(4):
        wallet = fund(TradingAccountFactory(), "1000.00")
        services.place_spot_order(wallet, instrument=btcusd, side="buy", base_amount=D("0.001"))

    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(url_name))

    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)
    assert len(response.context["cl"].result_list) == 5
