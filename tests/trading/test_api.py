"""Back-office trading API: scoping, flat lists, dealer actions (close, stops, place, cancel), instruments."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from crm.trading import services
from crm.trading.models import Instrument, Order, Position
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer():
    return staff_with_role(Role.DEALER)


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


def trade(eurusd, **account) -> Position:
    wallet = fund(TradingAccountFactory(**account), "5000.00")
    services.place_order(wallet, instrument=eurusd, side="sell", lots=D("0.10"), order_type="limit", price=D("1.2"))
    return services.place_order(wallet, instrument=eurusd, side="buy", lots=D("0.10")).position


@pytest.mark.parametrize("name", ["backoffice:position-list", "backoffice:order-list", "backoffice:deal-list",
                                  "backoffice:instrument-list"])  # fmt: skip
def test_list_queries_do_not_grow_with_rows(api_client, dealer, eurusd, name):
    api_client.force_authenticate(dealer)
    trade(eurusd)
    api_client.get(reverse(name))
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(reverse(name)).status_code == 200
    for _ in range(5):
        trade(eurusd)
    InstrumentFactory(symbol="GBPUSD")
    with CaptureQueriesContext(connection) as many:
        api_client.get(reverse(name))

    assert len(many) == len(few)


def test_agent_lists_only_own_clients_positions(api_client, eurusd):
    agent = staff_with_role(Role.SALES_AGENT)
    own = trade(eurusd, customer=CustomerFactory(conversion_agent=agent))
    other = trade(eurusd)
    api_client.force_authenticate(agent)

    listed = api_client.get(reverse("backoffice:position-list")).json()
    foreign = api_client.get(reverse("backoffice:position-detail", args=[other.pk]))

    assert [row["id"] for row in listed["results"]] == [own.pk]
    assert foreign.status_code == 404


def test_position_filters(api_client, dealer, eurusd):
    open_one = trade(eurusd)
    closed = trade(eurusd)
    services.close_position(closed)
    api_client.force_authenticate(dealer)

    by_status = api_client.get(reverse("backoffice:position-list"), {"status": "closed"}).json()
    by_account = api_client.get(reverse("backoffice:position-list"), {"account_id": open_one.account_id}).json()

    assert [row["id"] for row in by_status["results"]] == [closed.pk]
    assert [row["id"] for row in by_account["results"]] == [open_one.pk]


def test_dealer_closes_part_of_a_position(api_client, dealer, eurusd):
    position = trade(eurusd)
    api_client.force_authenticate(dealer)

    response = api_client.post(
        reverse("backoffice:position-close", args=[position.pk]), {"lots": "0.05"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["lots"], response.json()["status"]) == ("0.05000000", "open")


def test_closing_a_closed_position_answers_409(api_client, dealer, eurusd):
    position = trade(eurusd)
    services.close_position(position)
    api_client.force_authenticate(dealer)

    response = api_client.post(reverse("backoffice:position-close", args=[position.pk]), {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "position_closed"


def test_agent_may_not_close(api_client, eurusd):
    agent = staff_with_role(Role.SALES_AGENT)
    position = trade(eurusd, customer=CustomerFactory(conversion_agent=agent))
    api_client.force_authenticate(agent)

    response = api_client.post(reverse("backoffice:position-close", args=[position.pk]), {}, format="json")

    assert response.status_code == 403
    position.refresh_from_db()
    assert position.status == "open"


def test_dealer_sets_stops_and_a_wrong_side_is_a_field_error(api_client, dealer, eurusd):
    position = trade(eurusd)
    api_client.force_authenticate(dealer)
    url = reverse("backoffice:position-stops", args=[position.pk])

    good = api_client.post(url, {"stop_loss": "1.09", "take_profit": None}, format="json")
    bad = api_client.post(url, {"stop_loss": "1.2", "take_profit": None}, format="json")

    assert good.status_code == 200
    assert bad.status_code == 400
    assert "stop_loss" in bad.json()["error"]["fields"]
    position.refresh_from_db()
    assert position.stop_loss == D("1.09")


def test_dealer_places_an_order_and_a_refusal_changes_nothing(api_client, dealer, eurusd):
    account = fund(TradingAccountFactory(), "500.00")
    api_client.force_authenticate(dealer)
    url = reverse("backoffice:order-list")
    before = state(account)

    refused = api_client.post(
        url, {"account": account.pk, "instrument": "EURUSD", "side": "buy", "lots": "1"}, format="json"
    )
    placed = api_client.post(url, {"account": account.pk, "instrument": "EURUSD", "side": "buy", "lots": "0.10",
                                   "reason": "client asked by phone"}, format="json")  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "not_enough_margin"
    assert placed.status_code == 201
    assert placed.json()["status"] == "filled"
    assert state(account)["entries"] == before["entries"]  # no commission configured: no money moved yet
    assert Position.objects.count() == 1


def test_dealer_cancels_a_pending_order(api_client, dealer, eurusd):
    trade(eurusd)
    order = Order.objects.get(status="pending")
    api_client.force_authenticate(dealer)

    response = api_client.post(reverse("backoffice:order-cancel", args=[order.pk]))
    again = api_client.post(reverse("backoffice:order-cancel", args=[order.pk]))

    assert response.json()["status"] == "cancelled"
    assert again.status_code == 409


def test_exposure_per_symbol(api_client, dealer, eurusd):
    trade(eurusd)
    trade(eurusd)
    api_client.force_authenticate(dealer)

    response = api_client.get(reverse("backoffice:position-exposure"))

    assert response.json() == [
        {"symbol": "EURUSD", "buy_lots": "0.20000000", "sell_lots": "0.00000000", "net_lots": "0.20000000",
         "positions": 2, "accounts": 2}
    ]  # fmt: skip


def test_dealer_creates_and_updates_an_instrument(api_client, dealer):
    api_client.force_authenticate(dealer)

    created = api_client.post(
        reverse("backoffice:instrument-list"),
        {"symbol": "XAUUSD", "margin_currency": "XAU", "profit_currency": "USD", "digits": 2, "contract_size": "100",
         "margin_calc_mode": 2, "profit_calc_mode": 2, "sessions": {"mon": [["01:00", "23:00"]]}},
        format="json",
    )  # fmt: skip
    bad = api_client.patch(
        reverse("backoffice:instrument-detail", args=[created.json()["id"]]),
        {"sessions": {"mon": [["23:00", "01:00"]]}},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["bid"] is None
    assert bad.status_code == 400
    assert Instrument.objects.get().sessions == {"mon": [["01:00", "23:00"]]}
