"""The dealing desk in the admin: flat changelists, scoping, close action, SL/TP on the page, exposure."""

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
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer():
    return staff_with_role(Role.DEALER)


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


def open_positions(eurusd, count: int, **account) -> list[Position]:
    made = []
    for _ in range(count):
        wallet = fund(TradingAccountFactory(**account), "5000.00")
        services.place_order(
            wallet, instrument=eurusd, side="sell", lots=D("0.10"), order_type="limit", price=D("1.2")
        )
        made.append(services.place_order(wallet, instrument=eurusd, side="buy", lots=D("0.10")).position)
    return made


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:trading_position_changelist",
        "admin:trading_order_changelist",
        "admin:trading_deal_changelist",
        "admin:trading_instrument_changelist",
        "admin:trading_quote_changelist",
        "admin:trading_grouptradingsettings_changelist",
        "admin:trading_position_exposure",
    ],
)
def test_changelist_queries_are_flat(client, dealer, eurusd, url_name):
    client.force_login(dealer)
    open_positions(eurusd, 1)
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    open_positions(eurusd, 6)
    InstrumentFactory(symbol="GBPUSD")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(url_name)).status_code == 200

    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)


def test_agent_sees_only_the_positions_of_own_clients(client, eurusd):
    agent = staff_with_role(Role.SALES_AGENT)
    own = open_positions(eurusd, 1, customer=CustomerFactory(conversion_agent=agent))[0]
    open_positions(eurusd, 1)
    client.force_login(agent)

    response = client.get(reverse("admin:trading_position_changelist"))

    assert [p.pk for p in response.context["cl"].result_list] == [own.pk]


def test_dealer_closes_selected_positions(client, dealer, eurusd):
    positions = open_positions(eurusd, 2)
    client.force_login(dealer)

    response = client.post(
        reverse("admin:trading_position_changelist"),
        {"action": "close_selected", "_selected_action": [p.pk for p in positions]},
        follow=True,
    )

    assert response.status_code == 200
    assert set(Position.objects.values_list("status", "close_reason")) == {("closed", "dealer")}


def test_agent_cannot_close_positions(client, eurusd):
    agent = staff_with_role(Role.SALES_AGENT)
    position = open_positions(eurusd, 1, customer=CustomerFactory(conversion_agent=agent))[0]
    client.force_login(agent)

    client.post(
        reverse("admin:trading_position_changelist"), {"action": "close_selected", "_selected_action": [position.pk]}
    )

    position.refresh_from_db()
    assert position.status == "open"


def test_dealer_sets_stop_loss_on_the_position_page(client, dealer, eurusd):
    position = open_positions(eurusd, 1)[0]
    client.force_login(dealer)
    url = reverse("admin:trading_position_change", args=[position.pk])

    response = client.post(url, {"stop_loss": "1.09000", "take_profit": ""})

    assert response.status_code == 302
    position.refresh_from_db()
    assert (position.stop_loss, position.take_profit) == (D("1.09000"), None)


def test_exposure_sums_volume_per_symbol_and_lists_accounts_nearest_stop_out(client, dealer, eurusd):
    positions = open_positions(eurusd, 2)
    services.refresh_account(positions[0].account)
    client.force_login(dealer)

    response = client.get(reverse("admin:trading_position_exposure"))

    row = response.context["rows"][0]
    assert (row["instrument__symbol"], row["buy_lots"], row["sell_lots"], row["positions"]) == (
        "EURUSD",
        D("0.20"),
        D("0"),
        2,
    )
    assert [a.pk for a in response.context["nearest"]] == [positions[0].account_id]


def test_instrument_saved_in_the_admin_is_validated(client, dealer):
    client.force_login(dealer)

    response = client.post(reverse("admin:trading_instrument_add"), {**instrument_form(), "sessions": '{"xyz": 1}'})

    assert response.status_code == 200
    assert "sessions" in response.context["adminform"].form.errors
    assert not Instrument.objects.exists()
    assert Order.objects.count() == 0


def instrument_form() -> dict[str, str]:
    return {
        "symbol": "XAUUSD", "description": "Gold", "category": "METALS", "market_type": "CFD",
        "margin_currency": "XAU", "profit_currency": "USD", "digits": "2", "contract_size": "100",
        "profit_calc_mode": "2", "margin_calc_mode": "2", "tick_size": "0.01", "tick_value": "1",
        "hedged_margin": "0", "margin_rate_long": "1", "margin_rate_short": "1", "min_lot": "0.01", "max_lot": "50",
        "lot_step": "0.01", "price_deviation": "0", "swap_mode": "1", "swap_long": "-5", "swap_short": "1",
        "swap_triple_day": "3", "funding_interval_hours": "8", "sessions": "{}", "sort_order": "0", "is_enabled": "on",
        "amount_scale": "2", "slippage_rate": "0", "external_ttl": "0", "internal_ttl": "0",
        "session_overrides-TOTAL_FORMS": "0", "session_overrides-INITIAL_FORMS": "0",
    }  # fmt: skip


def test_instrument_created_in_the_admin(client, dealer):
    client.force_login(dealer)

    response = client.post(reverse("admin:trading_instrument_add"), instrument_form())

    assert response.status_code == 302
    assert Instrument.objects.get().contract_size == D(100)


def test_a_synced_position_is_shown_read_only_and_found_by_its_platform_id(client, dealer, eurusd):
    from crm.trading.models import PlatformAdapter

    adapter = PlatformAdapter.objects.create(name="mt5-live", type=PlatformAdapter.Type.METATRADER5)
    account = TradingAccountFactory()
    position = Position.objects.create(
        account=account, instrument=eurusd, side="buy", lots=D("1"), opened_lots=D("1"), open_price=D("1.1"),
        opened_at=account.created_at, adapter=adapter, external_id="MT-778",
    )  # fmt: skip
    client.force_login(dealer)
    url = reverse("admin:trading_position_change", args=[position.pk])

    page = client.get(url)
    changed = client.post(url, {"stop_loss": "1.09000", "take_profit": ""})
    found = client.get(reverse("admin:trading_position_changelist"), {"q": "MT-778"})

    assert page.status_code == 200
    assert "MT-778" in page.content.decode()
    assert 'name="stop_loss"' not in page.content.decode()
    assert changed.status_code == 403
    position.refresh_from_db()
    assert position.stop_loss is None
    assert list(found.context["cl"].result_list) == [position]
