"""001 price-alert subscriptions and trader notifications: through the API, fired by quotes and engine events."""

from decimal import Decimal as D

import pytest

from crm.core.models import OutboxEvent
from crm.trading import services
from crm.trading.events import margin_call_notification, stop_out_notification
from crm.trading.models import PriceAlert, TraderNotification
from tests.trading.compat_helpers import make_trader, other_account

pytestmark = pytest.mark.django_db

ALERTS = "/frontoffice/api/v3/notification-subscriptions/marketPrice"
NOTES = "/notification/api/v1/trader-notifications"


@pytest.fixture
def trader():
    return make_trader()


def test_create_list_and_delete_price_alerts(trader):
    first = trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.2", "condition": "Gte"})
    second = trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.0", "condition": "Lte"})

    listed = trader.post(ALERTS + "/markets", {"marketIds": ["EURUSD"], "limit": 10, "offset": 0})
    deleted = trader.client.delete(ALERTS, {"ids": [first.json()["id"]]}, format="json", **trader.headers())
    after = trader.post(ALERTS + "/markets", {})

    assert first.status_code == 200
    assert set(first.json()) == {"id"}
    assert listed.json() == {"markets": [{"marketId": "EURUSD", "subscriptions": [
        {"id": first.json()["id"], "price": "1.2", "condition": "Gte"},
        {"id": second.json()["id"], "price": "1", "condition": "Lte"},
    ]}]}  # fmt: skip
    assert deleted.status_code == 200
    assert deleted.json() == {}
    assert [row["id"] for row in after.json()["markets"][0]["subscriptions"]] == [second.json()["id"]]


def test_another_clients_alerts_are_out_of_reach(trader):
    theirs = other_account()
    own = trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.2", "condition": "Gte"}).json()["id"]
    PriceAlert.objects.filter(pk=own).update(account=theirs)

    assert (
        trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.2", "condition": "Gte"}, account=theirs).status_code
        == 404
    )
    assert trader.post(ALERTS + "/markets", {}).json() == {"markets": []}
    refused = trader.client.delete(ALERTS, {"ids": [own]}, format="json", **trader.headers())
    assert refused.status_code == 404
    assert PriceAlert.objects.filter(pk=own).exists()


def test_bad_alerts_are_400s(trader):
    assert trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.2", "condition": "Gt"}).status_code == 400
    assert trader.post(ALERTS, {"marketId": "NOPE", "price": "1.2", "condition": "Gte"}).status_code == 404
    assert not PriceAlert.objects.exists()


def test_a_quote_fires_an_alert_once(trader):
    trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.1010", "condition": "Gte"})
    trader.post(ALERTS, {"marketId": "EURUSD", "price": "1.0900", "condition": "Lte"})

    services.process_quote(trader.eurusd, bid=D("1.10050"), ask=D("1.10070"))
    services.process_quote(trader.eurusd, bid=D("1.10150"), ask=D("1.10170"))
    services.process_quote(trader.eurusd, bid=D("1.10200"), ask=D("1.10220"))

    note = TraderNotification.objects.get()
    assert note.type == "MarketPrice"
    assert note.data == {"accountName": trader.account.number, "marketId": "EURUSD", "price": "1.101",
                         "condition": "Gte", "marketPrice": "1.1015", "type": "MarketPrice"}  # fmt: skip
    assert PriceAlert.objects.filter(is_active=True).count() == 1


def test_engine_events_raise_notifications_once(trader):
    call = OutboxEvent.objects.create(name="margin.call", payload={"account_id": trader.account.pk,
                                                                   "margin_level": "85.5"})  # fmt: skip
    stop = OutboxEvent.objects.create(name="stop_out", payload={"account_id": trader.account.pk,
                                                                "position_id": 7, "note": "so 40%"})  # fmt: skip
    for event in (call, call, stop, stop):
        (margin_call_notification if event.name == "margin.call" else stop_out_notification)(event)

    rows = {row.type: row.data for row in TraderNotification.objects.all()}
    assert rows == {
        "MarginCall": {"accountName": trader.account.number, "marginCallLevel": "100", "marginLevel": "85.5",
                       "type": "MarginCall"},
        "StopOut": {"accountName": trader.account.number, "positionId": "7", "stopOutLevel": "50",
                    "note": "so 40%", "type": "StopOut"},
    }  # fmt: skip


def test_list_count_and_mark_notifications(trader):
    ids = [
        services.notify(trader.account, type="MarketPrice", key=f"k{n}", data={"marketId": "EURUSD"}).pk
        for n in range(3)
    ]
    theirs = other_account()
    services.notify(theirs, type="MarketPrice", key="theirs", data={})

    page = trader.post(NOTES, {"limit": 2}).json()["notifications"]
    rest = trader.post(NOTES, {"lastId": page[-1]["id"]}).json()["notifications"]
    count = trader.get(NOTES + "/unread-count").json()
    marked = trader.post(NOTES + "/mark-as-read", {"ids": [str(ids[0])]})
    unread = trader.post(NOTES, {"isUnreadOnly": True}).json()["notifications"]
    refused = trader.post(NOTES + "/mark-as-read", {"ids": [str(ids[1]), str(theirs.trader_notifications.get().pk)]})
    all_read = trader.post(NOTES + "/mark-all-as-read")

    assert [row["id"] for row in page + rest] == [str(ids[2]), str(ids[1]), str(ids[0])]
    assert set(page[0]) == {"id", "isRead", "createdAt", "type", "data"}
    assert page[0]["data"]["type"] == "MarketPrice"
    assert count == {"count": 3}
    assert marked.json() == {}
    assert [row["id"] for row in unread] == [str(ids[2]), str(ids[1])]
    assert refused.status_code == 404
    assert all_read.json() == {}
    assert trader.get(NOTES + "/unread-count").json() == {"count": 0}
    assert theirs.trader_notifications.get().is_read is False
    assert trader.get(NOTES + "/unread-count", account=theirs).status_code == 404
