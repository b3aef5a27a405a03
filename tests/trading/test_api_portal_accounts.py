"""Portal trading accounts: instruments information and watchlists (seed 000), scoped to the caller."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from crm.trading import services
from crm.trading.models import GroupInstrument, GroupTradingSettings, WatchlistItem
from tests.customers.factories import PortalCustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return TradingAccountFactory(customer=PortalCustomerFactory())


@pytest.fixture
def instruments():
    eurusd = InstrumentFactory(symbol="EURUSD", sort_order=1)
    quote(eurusd, "1.10000", "1.10020")
    return {
        "EURUSD": eurusd,
        "GBPUSD": InstrumentFactory(symbol="GBPUSD", sort_order=2),
        "USDJPY": InstrumentFactory(symbol="USDJPY", sort_order=3, digits=3),
        "OFF": InstrumentFactory(symbol="XAUUSD", sort_order=4, is_enabled=False),
    }


@pytest.fixture
def api(api_client, account):
    api_client.force_authenticate(account.customer.user)
    return api_client


def url(name, account, **kwargs):
    return reverse(f"portal:trading-account-{name}", args=[account.pk], **kwargs)


def test_accounts_list_only_my_trading_accounts(api, account):
    WalletFactory(customer=account.customer)  # a personal wallet, not a trading account
    TradingAccountFactory(customer=PortalCustomerFactory())

    rows = api.get(reverse("portal:trading-account-list")).json()["results"]

    assert [r["id"] for r in rows] == [account.pk]
    assert {"number", "currency", "leverage", "balance", "equity", "margin", "free_margin", "margin_level"} <= set(
        rows[0]
    )


def test_instruments_carry_the_groups_markup_commission_and_switches(api, account, instruments):
    settings = GroupTradingSettings.objects.get(group=account.group)
    GroupTradingSettings.objects.filter(pk=settings.pk).update(markup_points=2, commission_per_lot=D("3.50"))
    GroupInstrument.objects.create(settings=settings, instrument=instruments["GBPUSD"], is_enabled=False)
    GroupInstrument.objects.create(settings=settings, instrument=instruments["USDJPY"], markup_points=5,
                                   commission_per_lot=D("7"))  # fmt: skip

    rows = api.get(url("instruments", account)).json()

    assert [r["symbol"] for r in rows] == ["EURUSD", "USDJPY"]
    eurusd, usdjpy = rows
    assert (eurusd["markup_points"], eurusd["commission_per_lot"], eurusd["bid"], eurusd["ask"]) == (
        2, "3.5000000000", "1.0999800000", "1.1002200000",
    )  # fmt: skip
    assert (usdjpy["markup_points"], usdjpy["commission_per_lot"], usdjpy["bid"]) == (5, "7.0000000000", None)
    assert {"sessions", "min_lot", "max_lot", "lot_step", "contract_size", "swap_long", "digits"} <= set(eurusd)


def test_instruments_take_a_fixed_number_of_queries(api, account, instruments, django_assert_max_num_queries):
    api.get(url("instruments", account))
    for n in range(5):
        InstrumentFactory(symbol=f"SYM{n}")
    with django_assert_max_num_queries(8):
        assert len(api.get(url("instruments", account)).json()) == 8


def test_watchlist_keeps_the_clients_order_and_adds_and_removes(api, account, instruments):
    assert api.get(url("watchlist", account)).json() == {"account_id": account.pk, "symbols": []}

    answer = api.put(url("watchlist", account), {"symbols": ["USDJPY", "EURUSD"]}, format="json")
    assert answer.json()["symbols"] == ["USDJPY", "EURUSD"]
    assert api.post(url("watchlist-add", account), {"symbol": "GBPUSD"}, format="json").json()["symbols"] == [
        "USDJPY", "EURUSD", "GBPUSD",
    ]  # fmt: skip
    assert api.post(url("watchlist-add", account), {"symbol": "USDJPY"}, format="json").json()["symbols"] == [
        "USDJPY", "EURUSD", "GBPUSD",
    ]  # fmt: skip
    answer = api.post(url("watchlist-remove", account), {"symbol": "EURUSD"}, format="json")
    assert answer.json()["symbols"] == ["USDJPY", "GBPUSD"]
    assert api.get(url("watchlist", account)).json()["symbols"] == ["USDJPY", "GBPUSD"]
    assert api.put(url("watchlist", account), {"symbols": []}, format="json").json()["symbols"] == []


def test_bad_watchlists_are_field_errors_and_change_nothing(api, account, instruments):
    services.set_watchlist(account, symbols=["EURUSD"])

    for body in ({"symbols": ["EURUSD", "EURUSD"]}, {"symbols": ["XAUUSD"]}, {"symbols": ["NOPE", "GBPUSD"]},
                 {"symbols": "EURUSD"}, {}):  # fmt: skip
        answer = api.put(url("watchlist", account), body, format="json")
        assert answer.status_code == 400, body
        assert "symbols" in answer.json()["error"]["fields"], body
    answer = api.post(url("watchlist-remove", account), {"symbol": "GBPUSD"}, format="json")
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_watchlist")
    assert list(WatchlistItem.objects.values_list("instrument__symbol", flat=True)) == ["EURUSD"]


def test_another_clients_account_answers_404_and_changes_nothing(api, instruments):
    other = TradingAccountFactory(customer=PortalCustomerFactory())
    services.set_watchlist(other, symbols=["EURUSD"])

    assert api.get(url("instruments", other)).status_code == 404
    assert api.get(url("watchlist", other)).status_code == 404
    assert api.put(url("watchlist", other), {"symbols": []}, format="json").status_code == 404
    assert api.post(url("watchlist-add", other), {"symbol": "GBPUSD"}, format="json").status_code == 404
    assert services.watchlist(other) == ["EURUSD"]
