"""Portal trading API: the client's orders, positions, deals (004 objects) and the platforms."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.trading import services
from crm.trading.models import GroupTradingSettings
from tests.customers.factories import PortalCustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.factories import PlatformFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db
ORDER_KEYS = {"account_id", "order_id", "symbol", "side", "volume", "price", "stop_loss", "take_profit",
              "current_price", "time"}  # fmt: skip
POSITION_KEYS = {"account_id", "position_id", "symbol", "side", "volume", "open_price", "current_price", "stop_loss",
                 "take_profit", "swap", "profit", "time"}  # fmt: skip
DEAL_KEYS = {"account_id", "id", "symbol", "side", "entry", "price", "stop_loss", "take_profit", "profit",
             "real_profit", "commission", "time", "volume"}  # fmt: skip


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    account = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(commission_per_lot=D("3.50"))
    return account


@pytest.fixture
def client_of(api_client):
    def log_in(account):
        api_client.force_authenticate(account.customer.user)
        return api_client

    return log_in


def trade(account, instrument, **extra):
    return services.place_order(account, instrument=instrument, side="buy", lots=D("1.00"), **extra)


def test_orders_answer_the_004_fields_of_the_callers_accounts_only(client_of, account, eurusd):
    order = trade(account, eurusd, stop_loss=D("1.09000"))
    pending = services.place_order(account, instrument=eurusd, side="sell", lots=D("0.50"), order_type="limit",
                                   price=D("1.20000"))  # fmt: skip
    trade(fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00"), eurusd)

    answer = client_of(account).get(reverse("portal:trading-order-list"))

    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [r["order_id"] for r in rows] == [pending.pk, order.pk]
    assert set(rows[0]) >= ORDER_KEYS
    assert {k: rows[1][k] for k in ("account_id", "side", "volume", "price", "stop_loss", "current_price")} == {
        "account_id": account.pk, "side": "buy", "volume": "1.00000000", "price": "1.1002000000",
        "stop_loss": "1.0900000000", "current_price": "1.1002000000",
    }  # fmt: skip
    assert (rows[0]["price"], rows[0]["current_price"], rows[0]["status"]) == ("1.2000000000", "1.1000000000",
                                                                               "pending")  # fmt: skip


def test_positions_show_floating_profit_while_open_and_realised_profit_once_closed(client_of, account, eurusd):
    GroupTradingSettings.objects.filter(group=account.group).update(markup_points=2)
    position = trade(account, eurusd).position  # buys at 1.10022
    quote(eurusd, "1.10100", "1.10120")
    api = client_of(account)

    row = api.get(reverse("portal:trading-position-detail", args=[position.pk])).json()

    assert set(row) >= POSITION_KEYS
    # Closes at the bid less the markup, 1.10098: (1.10098 - 1.10022) x 100,000 = 76.00 USD.
    assert (row["current_price"], row["profit"], row["status"]) == ("1.1009800000", "76.00000000", "open")

    services.close_position(position)
    row = api.get(reverse("portal:trading-position-detail", args=[position.pk])).json()
    assert (row["current_price"], row["profit"], row["close_reason"]) == ("1.1009800000", "76.00000000", "client")


def test_deals_answer_the_004_fields_with_real_profit(client_of, account, eurusd):
    position = trade(account, eurusd, take_profit=D("1.20000")).position
    quote(eurusd, "1.10100", "1.10120")
    services.close_position(position)

    rows = client_of(account).get(reverse("portal:trading-deal-list"), {"position_id": position.pk}).json()["results"]

    assert [r["entry"] for r in rows] == ["out", "in"]
    assert set(rows[0]) >= DEAL_KEYS
    out = rows[0]
    assert (out["profit"], out["commission"], out["real_profit"], out["take_profit"]) == (
        "80.00000000", "3.50000000", "76.50000000", "1.2000000000",
    )  # fmt: skip


def test_another_clients_rows_answer_404(client_of, account, eurusd):
    other = fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")
    order = trade(other, eurusd)
    api = client_of(account)

    assert api.get(reverse("portal:trading-order-detail", args=[order.pk])).status_code == 404
    assert api.get(reverse("portal:trading-position-detail", args=[order.position_id])).status_code == 404
    assert api.get(reverse("portal:trading-deal-detail", args=[order.deals.get().pk])).status_code == 404
    assert api.get(reverse("portal:trading-order-list"), {"account_id": other.pk}).json()["count"] == 0


def test_filters(client_of, account, eurusd):
    gbpusd = InstrumentFactory(symbol="GBPUSD")
    quote(gbpusd, "1.26000", "1.26020")
    trade(account, eurusd)
    closed = trade(account, gbpusd).position
    services.close_position(closed)
    api = client_of(account)

    def ids(name, **params):
        return [r[f"{name}_id"] for r in api.get(reverse(f"portal:trading-{name}-list"), params).json()["results"]]

    assert ids("position", status="closed") == [closed.pk]
    assert ids("position", symbol="EURUSD") != [closed.pk]
    assert len(ids("order", symbol="GBPUSD")) == 1
    assert ids("order", status="pending") == []


def test_platforms_are_the_enabled_ones(client_of, account):
    PlatformFactory(name="mt5", caption="MetaTrader 5", type="MetaTrader5")
    PlatformFactory(name="off", is_enabled=False)

    rows = client_of(account).get(reverse("portal:trading-platform-list")).json()["results"]

    assert {"id", "name", "caption", "type"} == set(rows[0])
    assert "off" not in [r["name"] for r in rows]
    assert {"name": "mt5", "caption": "MetaTrader 5", "type": "MetaTrader5"}.items() <= next(
        r for r in rows if r["name"] == "mt5"
    ).items()


@pytest.mark.parametrize("name", ["order", "position", "deal"])
def test_list_queries_do_not_grow_with_rows(client_of, account, eurusd, name, django_assert_num_queries):
    gbpusd = InstrumentFactory(symbol="GBPUSD")
    quote(gbpusd, "1.26000", "1.26020")
    trade(account, eurusd)
    api = client_of(account)
    url = reverse(f"portal:trading-{name}-list")
    api.get(url)  # the first request of a client also records its activity
    with CaptureQueriesContext(connection) as one_row:
        assert api.get(url).status_code == 200
    for instrument in (eurusd, gbpusd, eurusd):
        trade(account, instrument)
    services.close_position(account.positions.filter(status="open").first())

    with django_assert_num_queries(len(one_row.captured_queries)):
        answer = api.get(url)
    assert answer.json()["count"] >= 4
