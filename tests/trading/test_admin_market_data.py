"""Candles, price alerts and trader notifications in the admin: read-only, filtered, scoped like the clients'
wallets, with flat changelists."""

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from crm.trading.models import Candle, PriceAlert, TraderNotification
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory

pytestmark = pytest.mark.django_db
NUMBERS = itertools.count()
CHANGELISTS = [
    "admin:trading_candle_changelist",
    "admin:trading_pricealert_changelist",
    "admin:trading_tradernotification_changelist",
]


def _rows(**account) -> PriceAlert:
    """A candle, and a price alert and a notification of a new trading account."""
    number = next(NUMBERS)
    instrument = InstrumentFactory(symbol="EURUSD")
    Candle.objects.create(
        instrument=instrument,
        interval="M1",
        start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=number),
        open=D(1),
        high=D(1),
        low=D(1),
        close=D(1),
    )
    wallet = TradingAccountFactory(**account)
    TraderNotification.objects.create(account=wallet, type="MarginCall", data={}, key=f"test:{number}")
    return PriceAlert.objects.create(account=wallet, instrument=instrument, price=D("1.2"), condition="Gte")


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_changelist_queries_are_flat(client, url_name):
    client.force_login(staff_with_role(Role.DEALER))
    _rows()
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(5):
        _rows()
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(url_name)).status_code == 200

    assert len(many) == len(few), "\n".join(query["sql"][:200] for query in many.captured_queries)


@pytest.mark.parametrize(
    ("url_name", "params", "count"),
    [
        ("admin:trading_candle_changelist", {"interval": "M1"}, 2),
        ("admin:trading_candle_changelist", {"interval": "H1"}, 0),
        ("admin:trading_pricealert_changelist", {"is_active__exact": "0"}, 1),
        ("admin:trading_tradernotification_changelist", {"type": "MarginCall"}, 2),
        ("admin:trading_tradernotification_changelist", {"is_read__exact": "1"}, 0),
    ],
)
def test_list_filters(client, url_name, params, count):
    client.force_login(staff_with_role(Role.DEALER))
    done = _rows()
    _rows()
    PriceAlert.objects.filter(pk=done.pk).update(is_active=False)

    response = client.get(reverse(url_name), params)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


def test_an_agent_sees_only_the_alerts_and_notifications_of_own_clients(client):
    agent = staff_with_role(Role.SALES_AGENT)
    own = _rows(customer=CustomerFactory(conversion_agent=agent))
    _rows()
    client.force_login(agent)

    alerts = client.get(reverse("admin:trading_pricealert_changelist")).context["cl"].result_list
    notifications = client.get(reverse("admin:trading_tradernotification_changelist")).context["cl"].result_list

    assert [alert.pk for alert in alerts] == [own.pk]
    assert [notification.account_id for notification in notifications] == [own.account_id]


@pytest.mark.parametrize("model", ["candle", "pricealert", "tradernotification"])
def test_the_pages_are_read_only(client, model):
    client.force_login(staff_with_role(Role.ADMIN))
    alert = _rows()
    pk = {
        "candle": Candle.objects.get().pk,
        "pricealert": alert.pk,
        "tradernotification": TraderNotification.objects.get().pk,
    }[model]

    assert client.get(reverse(f"admin:trading_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:trading_{model}_delete", args=[pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse(f"admin:trading_{model}_change", args=[pk])).status_code == 200
