"""Seed 001 "History server" (`/api/...`): shapes against the seed's examples, figures against a hand-computed
answer on a small book, the query language, `limit.isExceeded`, scoping and refusals, the chart PNG."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from crm.core.roles import Role
from crm.reports.history import sources
from crm.trading.models import Candle, Deal, Order, Position, Side
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory, PortalCustomerFactory, bearer
from tests.sales.factories import DeskFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory
from tests.users.factories import ApiTokenFactory, StaffUserFactory
from tests.wallets.factories import CurrencyFactory, ExchangeRateFactory, TransactionFactory, WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# The keys of the seed's examples (001_e14eb7e540426e65.txt, "History server").
BALANCE_KEYS = {
    "assetId", "assetName", "totalAssetAmount", "availableAssetAmount", "lockedAssetAmount", "rateToRootAsset",
    "totalAssetAmountInRAT", "availableAssetAmountInRAT", "lockedAssetAmountInRAT",
}  # fmt: skip
ORDER_KEYS = {
    "orderId", "userId", "userEmail", "accountId", "accountName", "marketId", "marketDisplayName", "side",
    "orderType", "timeInForce", "orderStatus", "hedge", "baseAmount", "quoteAmount", "filledAmount",
    "remainingAmount", "avgExecutionPrice", "limitPrice", "commissionAmount", "commissionAssetId",
    "commissionAssetName", "commissionInRAT", "createdAt", "updatedAt",
}  # fmt: skip
TRADE_KEYS = {
    "userId", "userEmail", "accountId", "accountName", "orderId", "externalOrderId", "lpOrderId", "executionId",
    "lpExecutionId", "marketId", "marketDisplayName", "side", "orderType", "timeInForce", "baseAmount",
    "quoteAmount", "executionPrice", "commissionAmount", "commissionAssetId", "commissionAssetName",
    "commissionInRAT", "createdAt",
}  # fmt: skip
TRANSFER_KEYS = {
    "userId", "userEmail", "accountId", "accountName", "transferId", "assetId", "assetName", "type", "status",
    "assetAmount", "createdAt", "rateToRootAsset", "assetAmountInRAT", "deduplicationId",
}  # fmt: skip
HISTORY_ORDER_KEYS = {
    "marketId", "orderId", "timeInForce", "status", "source", "side", "orderType", "requestedAmount",
    "remainingAmount", "requestedPrice", "executionPrice", "hedge", "createdAt", "updatedAt", "cancellationDate",
    "commission",
}  # fmt: skip


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def deal(account, *, day: int, lots: str, price: str, commission: str = "0", entry=Deal.Entry.IN, order=None):
    instrument = InstrumentFactory(symbol="EURUSD")
    position = Position.objects.create(
        account=account, instrument=instrument, side=Side.BUY, lots=Decimal(lots), opened_lots=Decimal(lots),
        open_price=Decimal(price), opened_at=at(day),
    )  # fmt: skip
    return Deal.objects.create(
        account=account, instrument=instrument, position=position, order=order, side=Side.BUY, entry=entry,
        lots=Decimal(lots), price=Decimal(price), commission=Decimal(commission), created_at=at(day),
    )  # fmt: skip


@pytest.fixture
def book(settings):
    """Agent A's client: a USD account (1000, markup 10 points) with a round trip of 2 lots (commission 2) and a
    working limit order, and a EUR wallet (200; EUR/USD 1.10). Agent B's client: a USD account (500) with 1 lot
    bought (commission 1). A demo account's deal is never counted."""
    settings.ROOT_ASSET = "USD"
    ExchangeRateFactory(from_currency=CurrencyFactory(code="EUR", name="Euro"), rate="1.10")
    agent_a, agent_b = staff_with_role(Role.SALES_AGENT), staff_with_role(Role.SALES_AGENT)
    mine = CustomerFactory(conversion_agent=agent_a, email="a@example.com")
    theirs = CustomerFactory(conversion_agent=agent_b, email="b@example.com")
    account = fund(TradingAccountFactory(customer=mine, caption="Main"), "1000")
    account.group.trading_settings.markup_points = 10
    account.group.trading_settings.save()
    fund(WalletFactory(customer=mine, currency=CurrencyFactory(code="EUR")), "200")
    other = fund(TradingAccountFactory(customer=theirs), "500")
    filled = Order.objects.create(
        account=account, instrument=InstrumentFactory(symbol="EURUSD"), side=Side.BUY, lots=Decimal(2),
        status=Order.Status.FILLED, fill_price=Decimal("1.1"),
    )  # fmt: skip
    deal(account, day=5, lots="2", price="1.1", commission="2", order=filled)
    deal(account, day=6, lots="2", price="1.2", entry=Deal.Entry.OUT)
    deal(other, day=10, lots="1", price="1.1", commission="1")
    deal(TradingAccountFactory(customer=mine, is_demo=True), day=10, lots="5", price="1.1", commission="9")
    working = Order.objects.create(
        account=account, instrument=InstrumentFactory(symbol="EURUSD"), side=Side.SELL, lots=Decimal("0.5"),
        type=Order.Type.LIMIT, price=Decimal("1.25"),
    )  # fmt: skip
    return {"agent_a": agent_a, "mine": mine, "theirs": theirs, "account": account, "other": other,
            "working": working, "filled": filled}  # fmt: skip


@pytest.fixture
def admin(book):
    client = APIClient()
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.ADMIN)))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw_key}")
    return client


@pytest.fixture
def agent(book):
    client = APIClient()
    client.force_login(book["agent_a"])
    return client


def post(client, path, body=None):
    return client.post(path, body or {}, format="json")


def numbers(response) -> object:
    """The body parsed with JSON numbers as Decimals (and checked to be numbers, not strings)."""
    return json.loads(response.content, parse_float=Decimal)


def test_trades_in_the_seed_shape_with_numbers(admin):
    response = post(admin, "/api/trades", {"filters": [], "limit": 10})

    assert response.status_code == 200, response.content
    body = numbers(response)
    assert set(body) == {"data", "limit"}
    assert body["limit"] == {"isExceeded": False}
    assert [set(row) for row in body["data"]] == [TRADE_KEYS] * 3
    newest = body["data"][0]
    assert newest["side"] == "Buy"
    assert newest["orderType"] == "Market"
    assert newest["timeInForce"] == "Gtc"
    assert newest["baseAmount"] == 100000
    assert newest["quoteAmount"] == Decimal("110000")
    assert newest["commissionAmount"] == 1
    assert newest["commissionInRAT"] == 1
    assert body["data"][2]["accountName"] == "Main"
    assert body["data"][2]["userEmail"] == "a@example.com"


def test_limit_is_exceeded_when_more_rows_match(admin):
    body = post(admin, "/api/trades", {"limit": 2}).json()
    assert len(body["data"]) == 2
    assert body["limit"] == {"isExceeded": True}

    body = post(admin, "/api/trades", {"limit": 3}).json()
    assert len(body["data"]) == 3
    assert body["limit"] == {"isExceeded": False}


def test_filters_per_field_and_operator(admin, book):
    def trades(*filters):
        body = post(admin, "/api/trades", {"filters": list(filters)}).json()
        return sorted(row["executionId"] for row in body["data"])

    all_ids = trades()
    assert len(trades({"entryType": "Equals", "field": "userEmail", "value": "a@example.com"})) == 2
    assert len(trades({"entryType": "Contains", "field": "userEmail", "value": "B@EXAMPLE"})) == 1
    assert len(trades({"entryType": "GreaterThanOrEqual", "field": "createdAt", "value": "2026-11-06T00:00:00Z"})) == 2
    assert len(trades({"entryType": "In", "field": "userId", "value": [book["theirs"].pk]})) == 1
    assert trades({"entryType": "Equals", "field": "side", "value": "Sell"}) == []
    assert trades({"entryType": "NotEquals", "field": "side", "value": "Sell"}) == all_ids
    assert len(trades(
        {"entryType": "Equals", "field": "accountId", "value": book["account"].number},
        {"entryType": "LessThan", "field": "createdAt", "value": "2026-11-06T00:00:00Z"},
    )) == 1  # fmt: skip


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({"entryType": "Equals", "field": "password", "value": "x"}, "filters[0].field"),
        ({"entryType": "Contains", "field": "createdAt", "value": "2026"}, "filters[0].entryType"),
        ({"entryType": "Equals", "field": "side", "value": "Sideways"}, "filters[0].value"),
        ({"entryType": "GreaterThan", "field": "createdAt", "value": "yesterday"}, "filters[0].value"),
        ({"entryType": "In", "field": "userId", "value": 5}, "filters[0].value"),
        ({"entryType": "Like", "field": "userId", "value": 5}, "filters"),
        ({"entryType": "Equals", "field": "side", "value": {"a": 1}}, "filters[0].value"),
        ({"entryType": "In", "field": "side", "value": [["Buy"]]}, "filters[0].value"),
        ({"entryType": "Equals", "field": "userId", "value": 10**30}, "filters[0].value"),
        ({"entryType": "Equals", "field": "userId", "value": 1.5}, "filters[0].value"),
        ({"entryType": "GreaterThan", "field": "createdAt", "value": "2026-13-45T00:00:00Z"}, "filters[0].value"),
    ],
)
def test_unknown_fields_operators_and_values_are_400_with_field_errors(admin, item, key):
    response = post(admin, "/api/trades", {"filters": [item]})

    assert response.status_code == 400
    assert any(name.startswith(key) for name in response.json()["error"]["fields"]), response.json()


def test_a_nul_character_in_a_value_is_400(admin):
    item = {"entryType": "Equals", "field": "userEmail", "value": "a\x00b"}

    assert post(admin, "/api/trades", {"filters": [item]}).status_code == 400


def test_unknown_sort_field_is_400(admin):
    response = post(admin, "/api/open-orders", {"sort": {"field": "secret", "direction": "Desc"}})

    assert response.status_code == 400
    assert "sort.field" in response.json()["error"]["fields"]


def test_orders_and_open_orders(admin, book):
    body = numbers(post(admin, "/api/orders", {"limit": 5}))
    assert [set(row) for row in body["data"]] == [ORDER_KEYS] * 2
    assert body["limit"] == {"isExceeded": False}
    working, filled = body["data"]
    assert working["orderStatus"] == "Started"
    assert working["orderType"] == "Limit"
    assert working["side"] == "Sell"
    assert working["baseAmount"] == 50000
    assert working["remainingAmount"] == 50000
    assert working["filledAmount"] == 0
    assert working["limitPrice"] == Decimal("1.25")
    assert working["hedge"] == 1
    assert filled["orderStatus"] == "Filled"
    assert filled["filledAmount"] == 200000
    assert filled["commissionAmount"] == 2
    assert filled["avgExecutionPrice"] == Decimal("1.1")

    body = numbers(post(admin, "/api/open-orders", {"limit": 10, "offset": 0}))
    assert body["total"] == 1
    assert [row["orderId"] for row in body["data"]] == [str(book["working"].pk)]
    status = {"entryType": "In", "field": "orderStatus", "value": ["Filled"]}
    assert post(admin, "/api/orders", {"filters": [status]}).json()["data"][0]["orderId"] == str(book["filled"].pk)


def test_list_queries_do_not_grow_with_rows(admin, book, django_assert_num_queries):
    post(admin, "/api/orders")  # the token's first use is written once
    # The token, its permissions (1), the currencies and the EUR rate (path, quote: 3), the orders.
    with django_assert_num_queries(6) as first:
        post(admin, "/api/orders")
    for _ in range(3):
        Order.objects.create(
            account=book["other"], instrument=InstrumentFactory(symbol="EURUSD"), side=Side.BUY, lots=Decimal(1)
        )
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(post(admin, "/api/orders").json()["data"]) == 5
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(post(admin, "/api/trades").json()["data"]) == 3


def test_commissions_cut_by_user_account_and_asset(admin, book):
    users = numbers(post(admin, "/api/commissions/users", {"sort": {"field": "userId", "direction": "Asc"}}))
    assert users == {"data": [
        {"userId": str(book["mine"].pk), "userEmail": "a@example.com", "status": "Active",
         "totalBalanceInRAT": 1220, "totalCommissionInRAT": 2, "totalTradedVolumeInRAT": 460000},
        {"userId": str(book["theirs"].pk), "userEmail": "b@example.com", "status": "Active",
         "totalBalanceInRAT": 500, "totalCommissionInRAT": 1, "totalTradedVolumeInRAT": 110000},
    ]}  # fmt: skip
    descending = post(admin, "/api/commissions/users", {"sort": {"column": "userId", "direction": "Desc"}}).json()
    assert [row["userId"] for row in descending["data"]] == [str(book["theirs"].pk), str(book["mine"].pk)]
    accounts = numbers(post(admin, "/api/commissions/accounts", {"limit": 1, "offset": 1}))["data"]
    assert accounts == [
        {"userId": str(book["theirs"].pk), "userEmail": "b@example.com", "accountId": book["other"].number,
         "accountName": book["other"].number, "totalBalanceInRAT": 500, "totalCommissionInRAT": 1,
         "totalTradedVolumeInRAT": 110000},
    ]  # fmt: skip
    per_account_asset = numbers(post(admin, "/api/commissions/accounts-assets"))["data"]
    assert per_account_asset[0] == {
        "userId": str(book["mine"].pk), "accountId": book["account"].number, "accountName": "Main",
        "assetId": "USD", "assetName": "USD", "totalAssetAmount": 1000, "totalAssetAmountInRAT": 1000,
        "totalAssetCommission": 2, "totalAssetCommissionInRAT": 2,
    }  # fmt: skip
    per_user_asset = numbers(post(admin, "/api/commissions/users-assets"))["data"]
    assert [(row["assetId"], row["totalAssetAmount"], row["totalAssetCommission"]) for row in per_user_asset] == [
        ("USD", 1000, 2), ("USD", 500, 1),
    ]  # fmt: skip
    assets = numbers(post(admin, "/api/commissions/assets"))["data"]
    assert len(assets) == 1
    assert set(assets[0]) == {
        "assetId",
        "assetName",
        "assetAmountScale",
        "totalAssetAmount",
        "totalAssetAmountInRAT",
        "totalAssetCommission",
        "totalAssetCommissionInRAT",
        "createdAt",
    }
    assert (assets[0]["totalAssetAmount"], assets[0]["totalAssetCommission"], assets[0]["assetAmountScale"]) == (
        1500, 3, 2,
    )  # fmt: skip


def test_markup_revenue_per_market(admin):
    body = numbers(post(admin, "/api/v1/markups/revenue", {"limit": 10, "offset": 0}))

    # Markup 10 points (0.0001) on 2 x 200,000 EUR of the first client; none on the other group.
    assert body == [
        {"marketId": "EURUSD", "displayName": "EURUSD", "tradesCount": 3, "tradedVolume": 500000,
         "tradedVolumeInRat": 570000, "markupProfitInRat": 40, "commissionProfitInRat": 3},
    ]  # fmt: skip


def test_active_accounts_and_billing_info(admin):
    since = {"entryType": "GreaterThanOrEqual", "field": "createdAt", "value": "2026-11-07T00:00:00Z"}
    assert post(admin, "/api/active-accounts").json() == {"total": 2}
    assert post(admin, "/api/active-accounts", {"filters": [since]}).json() == {"total": 1}

    assert numbers(post(admin, "/api/billing/billing-info")) == {
        "activeAccounts": 2, "rootAsset": "USD", "tradedVolumeSpotInRAT": 0, "tradedVolumeCfdInRAT": 570000,
        "tradedVolumeTotalInRAT": 570000,
    }  # fmt: skip


def test_balances_per_user_account_and_one_user(admin, book):
    users = numbers(post(admin, "/api/users/balances"))["data"]
    assert [set(row) for row in users] == [{"userId", *BALANCE_KEYS}] * 3
    euro = next(row for row in users if row["assetId"] == "EUR")
    assert euro["totalAssetAmount"] == 200
    assert euro["rateToRootAsset"] == Decimal("1.1")
    assert euro["totalAssetAmountInRAT"] == 220
    assert euro["lockedAssetAmount"] == 0
    accounts = numbers(post(admin, "/api/accounts/balances", {"filters": [
        {"entryType": "Equals", "field": "assetId", "value": "USD"},
    ]}))["data"]  # fmt: skip
    assert [(row["accountId"], row["availableAssetAmount"]) for row in accounts] == [
        (book["account"].number, 1000), (book["other"].number, 500),
    ]  # fmt: skip

    one = admin.get(f"/api/users/{book['mine'].pk}/balances")
    assert numbers(one) == {"totalBalanceInRAT": 1220}
    assert admin.get("/api/users/abc/balances").status_code == 400
    assert admin.get("/api/users/999999/balances").status_code == 404


def test_transfers(admin, book):
    TransactionFactory(wallet=book["account"], amount="150.00", request_key="dep-1")

    body = numbers(post(admin, "/api/transfers", {"filters": [
        {"entryType": "Equals", "field": "type", "value": "Deposit"},
    ]}))  # fmt: skip

    assert [set(row) for row in body["data"]] == [TRANSFER_KEYS]
    row = body["data"][0]
    assert (row["type"], row["status"], row["assetAmount"], row["deduplicationId"]) == (
        "Deposit",
        "Pending",
        150,
        "dep-1",
    )


def test_an_agent_sees_only_their_clients(agent, book):
    assert len(post(agent, "/api/trades").json()["data"]) == 2
    assert [row["userId"] for row in post(agent, "/api/commissions/users").json()["data"]] == [str(book["mine"].pk)]
    assert post(agent, "/api/active-accounts").json() == {"total": 1}
    assert agent.get(f"/api/users/{book['theirs'].pk}/balances").status_code == 404


def test_external_orders_and_unsolicited_trades_are_empty_on_the_built_in_platform(admin):
    for path in ("/api/external-orders", "/api/unsolicited-trades"):
        assert post(admin, path, {"limit": 5}).json() == {"data": [], "limit": {"isExceeded": False}}


def test_refusals(book):
    anonymous = APIClient()
    assert post(anonymous, "/api/trades").status_code == 401
    affiliate_manager = APIClient()  # sees money, not trading
    affiliate_manager.force_login(staff_with_role(Role.AFFILIATE_MANAGER))
    for path in ("/api/trades", "/api/orders", "/api/v1/markups/revenue", "/api/commissions/users"):
        assert post(affiliate_manager, path).status_code == 403, path
    no_role = APIClient()
    no_role.force_login(StaffUserFactory())
    for path in ("/api/users/balances", "/api/transfers", "/api/charting", "/api/active-accounts"):
        assert post(no_role, path).status_code == 403, path
    client = APIClient()
    bearer(client, PortalCustomerFactory())
    assert post(client, "/api/trades").status_code in (401, 403)


def test_chart_is_a_png_of_the_candles(admin):
    instrument = InstrumentFactory(symbol="EURUSD")
    for minute in range(30):
        price = Decimal("1.1") + Decimal(minute) / 10000
        Candle.objects.create(
            instrument=instrument, interval="M1", start=at(5) + dt.timedelta(minutes=minute),
            open=price, high=price + Decimal("0.0003"), low=price - Decimal("0.0002"), close=price + Decimal("0.0001"),
        )  # fmt: skip

    response = post(admin, "/api/charting", {
        "marketId": "EURUSD", "interval": "M1", "dateFrom": "2026-11-05T00:00:00Z", "dateTo": "2026-11-06T00:00:00Z",
    })  # fmt: skip

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1000, 500)
    assert len(set(image.get_flattened_data())) > 3  # candles drawn, not a blank frame
    bad = post(admin, "/api/charting", {"marketId": "NOPE", "interval": "M1", "dateFrom": "2026-11-05T00:00:00Z",
                                        "dateTo": "2026-11-06T00:00:00Z"})  # fmt: skip
    assert bad.status_code == 400
    assert "marketId" in bad.json()["error"]["fields"]


def test_trader_order_history(book):
    trader, customer = APIClient(), PortalCustomerFactory()
    bearer(trader, customer)
    account = TradingAccountFactory(customer=customer)
    order = Order.objects.create(
        account=account, instrument=InstrumentFactory(symbol="EURUSD"), side=Side.BUY, lots=Decimal("0.3"),
        type=Order.Type.LIMIT, price=Decimal("1.05"),
    )  # fmt: skip

    one = numbers(trader.get(f"/api/history/orders/{order.pk}"))
    assert [set(row) for row in one] == [HISTORY_ORDER_KEYS]
    assert one[0]["requestedAmount"] == Decimal("0.3")
    assert one[0]["status"] == "Started"
    assert trader.get(f"/api/history/orders/{book['working'].pk}").status_code == 404  # another client's
    listed = trader.post("/api/history/orders/list", {"orderStatuses": ["Started"], "limit": 5}, format="json")
    assert [row["orderId"] for row in listed.json()] == [str(order.pk)]
    assert trader.post("/api/history/orders/list", {"lastOrderId": str(order.pk)}, format="json").json() == []


SOURCES = {
    "/api/active-accounts": sources.DEAL_FIELDS,
    "/api/billing/billing-info": sources.DEAL_FIELDS,
    "/api/users/balances": sources.USER_BALANCES.fields,
    "/api/accounts/balances": sources.ACCOUNT_BALANCES.fields,
    "/api/commissions/accounts-assets": sources.COMMISSIONS_ACCOUNTS_ASSETS.fields,
    "/api/commissions/users-assets": sources.COMMISSIONS_USERS_ASSETS.fields,
    "/api/commissions/users": sources.COMMISSIONS_USERS.fields,
    "/api/commissions/accounts": sources.COMMISSIONS_ACCOUNTS.fields,
    "/api/commissions/assets": sources.COMMISSIONS_ASSETS.fields,
    "/api/v1/markups/revenue": sources.MARKUP_REVENUE.fields,
    "/api/external-orders": sources.EXTERNAL_ORDERS.fields,
    "/api/open-orders": sources.OPEN_ORDERS.fields,
    "/api/orders": sources.ORDERS.fields,
    "/api/trades": sources.TRADES.fields,
    "/api/transfers": sources.TRANSFERS.fields,
    "/api/unsolicited-trades": sources.UNSOLICITED_TRADES.fields,
}
SAMPLE = {"text": "x", "number": 1, "integer": 1, "datetime": "2026-11-01T00:00:00Z"}


def _sample(field) -> dict:
    if field.kind == "enum":
        return {"entryType": "In", "value": list(field.choices)[:2]}
    operator = "GreaterThan" if field.kind == "datetime" else "Equals"
    return {"entryType": operator, "value": SAMPLE[field.kind]}


@pytest.mark.parametrize("path", SOURCES)
def test_every_documented_field_filters_and_unknown_ones_are_refused(admin, path):
    fields = SOURCES[path]
    every = [{"field": name, **_sample(field)} for name, field in fields.items()]

    for item in every:
        response = post(admin, path, {"filters": [item]})
        assert response.status_code == 200, (item, response.content[:300])
    refused = post(admin, path, {"filters": [{"entryType": "Equals", "field": "nope", "value": "x"}]})
    assert refused.status_code == 400
    assert "filters[0].field" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(
    "path", ["/api/commissions/users", "/api/commissions/accounts", "/api/v1/markups/revenue", "/api/open-orders"]
)
def test_sorted_sources_take_each_output_key_both_ways(admin, path):
    source = {
        "/api/commissions/users": sources.COMMISSIONS_USERS,
        "/api/commissions/accounts": sources.COMMISSIONS_ACCOUNTS,
        "/api/v1/markups/revenue": sources.MARKUP_REVENUE,
        "/api/open-orders": sources.OPEN_ORDERS,
    }[path]
    for key in source.sortable:
        for direction in ("Asc", "Desc"):
            response = post(admin, path, {"sort": {"field": "", "column": key, "direction": direction}})
            assert response.status_code == 200, (key, response.content[:300])


def test_trader_order_list_queries_do_not_grow_with_rows(book, django_assert_num_queries):
    trader, customer = APIClient(), PortalCustomerFactory()
    bearer(trader, customer)
    account = TradingAccountFactory(customer=customer)

    def place(count: int) -> None:
        for _ in range(count):
            Order.objects.create(
                account=account, instrument=InstrumentFactory(symbol="EURUSD"), side=Side.BUY, lots=Decimal(1)
            )

    place(1)
    trader.post("/api/history/orders/list", {}, format="json")
    with django_assert_num_queries(3) as first:  # the user, the client, the orders (with market and commission)
        assert len(trader.post("/api/history/orders/list", {}, format="json").json()) == 1
    place(4)
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(trader.post("/api/history/orders/list", {}, format="json").json()) == 5


def test_a_desk_manager_an_agent_and_an_admin_see_the_same_clients_as_in_the_balance_report(db):
    manager, member, outsider = (staff_with_role(Role.SALES_AGENT) for _ in range(3))
    DeskFactory(manager=manager, members=[member])
    clients = {
        agent: CustomerFactory(conversion_agent=agent, email=f"{name}@example.com")
        for name, agent in (("manager", manager), ("member", member), ("outsider", outsider))
    }
    for client in clients.values():
        fund(WalletFactory(customer=client), "100")
    today = timezone.localdate().isoformat()

    def seen(user) -> tuple[set[int], set[int]]:
        caller = APIClient()
        caller.force_login(user)
        report = caller.get("/api/v1/backoffice/reports/balance/", {"start": today, "end": today, "limit": 50})
        history = post(caller, "/api/users/balances")
        assert (report.status_code, history.status_code) == (200, 200), (report.content, history.content)
        return (
            {row["client_id"] for row in report.json()["results"]},
            {int(row["userId"]) for row in history.json()["data"]},
        )

    desk = {clients[manager].pk, clients[member].pk}
    assert seen(manager) == (desk, desk)
    assert seen(member) == ({clients[member].pk}, {clients[member].pk})
    everyone = {client.pk for client in clients.values()}
    assert seen(staff_with_role(Role.ADMIN)) == (everyone, everyone)


@pytest.mark.parametrize(
    ("path", "new_rows"),
    [
        ("/api/users/balances", 6), ("/api/accounts/balances", 6), ("/api/commissions/users", 3),
        ("/api/commissions/accounts", 3), ("/api/commissions/users-assets", 3),
        ("/api/commissions/accounts-assets", 3), ("/api/commissions/assets", 0), ("/api/v1/markups/revenue", 0),
    ],
)  # fmt: skip
def test_balance_and_commission_lists_cost_the_same_queries_for_more_clients(admin, book, path, new_rows):
    """Three more clients, each with a USD account that traded and a EUR wallet: rows per client or account grow,
    those per asset or market (shared) do not; the rates are read once per currency, so no new currency."""

    def rows() -> int:
        body = post(admin, path).json()
        return len(body if isinstance(body, list) else body["data"])

    rows()  # the token's first use is written once
    with CaptureQueriesContext(connection) as few:
        before = rows()
    for number in range(3):
        client = CustomerFactory(email=f"more{number}@example.com")
        deal(fund(TradingAccountFactory(customer=client), "300"), day=7, lots="1", price="1.3", commission="1")
        fund(WalletFactory(customer=client, currency=CurrencyFactory(code="EUR")), "50")
    with CaptureQueriesContext(connection) as many:
        after = rows()

    assert after == before + new_rows
    assert len(many) == len(few), "\n".join(query["sql"][:200] for query in many.captured_queries)
