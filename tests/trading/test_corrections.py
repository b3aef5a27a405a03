"""Dealer corrections of a position's open price, close price and commission: recorded with the reason, the money
effect reversed and posted again through the ledger (hand-computed), the ledger verified afterwards; through the
service, the back-office API and the admin."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm.core.roles import Role
from crm.trading import services
from crm.trading.exceptions import InvalidCorrection
from crm.trading.models import Deal, GroupTradingSettings, PlatformAdapter, Position, PositionCorrection
from crm.wallets.models import JournalEntry
from tests.conftest import staff_with_role
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurusd():
    instrument = InstrumentFactory(symbol="EURUSD")
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def account():
    account = fund(TradingAccountFactory(), "10000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(commission_per_lot=D("3.50"))
    return account


@pytest.fixture
def dealer():
    return staff_with_role(Role.DEALER)


@pytest.fixture
def closed(account, eurusd):
    """Buy 1 lot at 1.10020, closed at 1.10000: loss 20.00, commission 3.50 + 3.50; balance 9973.00."""
    position = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")).position
    services.close_position(position)
    account.refresh_from_db()
    assert account.balance == D("9973.00")
    return position


def balance(account):
    account.refresh_from_db()
    return account.balance


def test_corrections_redo_the_money_and_keep_the_ledger_right(closed, account, dealer):
    first = services.correct_position(
        closed, field="open_price", value=D("1.09980"), reason="Filled off-market", actor=dealer
    )
    # profit (1.10000 - 1.09980) x 100,000 = +20.00 instead of -20.00
    assert (first.before, first.after, first.balance_change) == (D("1.10020"), D("1.09980"), D("40.00"))
    assert balance(account) == D("10013.00")

    second = services.correct_position(closed, field="close_price", value=D("1.10050"), reason="Late", actor=dealer)
    # (1.10050 - 1.09980) x 100,000 = 70.00: the first correction's re-post is reversed
    assert second.balance_change == D("50.00")
    assert balance(account) == D("10063.00")

    third = services.correct_position(closed, field="commission", value=D("5.00"), reason="Promo", actor=dealer)
    assert third.balance_change == D("2.00")
    assert balance(account) == D("10065.00")

    closed.refresh_from_db()
    assert (closed.open_price, closed.close_price, closed.profit, closed.commission) == (
        D("1.09980"), D("1.10050"), D("70.00"), D("5.00")
    )  # fmt: skip
    deals = list(closed.deals.order_by("pk").values_list("entry", "price", "profit", "commission"))
    assert deals == [
        (Deal.Entry.IN, D("1.09980"), D("0"), D("1.50")),
        (Deal.Entry.OUT, D("1.10050"), D("70.00"), D("3.50")),
    ]
    assert JournalEntry.objects.filter(reverses__isnull=False).count() == 3
    rows = PositionCorrection.objects.filter(position=closed).order_by("pk")
    assert [(r.field, r.reason, r.created_by) for r in rows] == [
        ("open_price", "Filled off-market", dealer),
        ("close_price", "Late", dealer),
        ("commission", "Promo", dealer),
    ]
    call_command("verify_ledger")


def test_an_open_positions_open_price_moves_no_money(account, eurusd, dealer):
    position = services.place_order(account, instrument=eurusd, side="sell", lots=D("0.10")).position
    before = balance(account)

    correction = services.correct_position(position, field="open_price", value=D("1.0999"), reason="x", actor=dealer)

    position.refresh_from_db()
    assert (position.open_price, correction.balance_change, balance(account)) == (D("1.0999"), D("0"), before)


def test_refused_corrections_change_nothing(closed, account, eurusd, dealer):
    open_one = services.place_order(account, instrument=eurusd, side="buy", lots=D("0.10")).position
    before = state(account)

    for position, field, value, reason in [
        (open_one, "close_price", "1.2", "x"),  # open: no close price
        (closed, "commission", "2.00", "x"),  # under the closing deal's 3.50
        (closed, "open_price", "1.10020", "x"),  # unchanged
        (closed, "open_price", "1.1", "  "),  # no reason
    ]:
        with pytest.raises(InvalidCorrection):
            services.correct_position(position, field=field, value=D(value), reason=reason, actor=dealer)

    assert state(account) == before
    assert not PositionCorrection.objects.exists()


def test_a_position_synced_from_an_outside_platform_is_corrected_there(closed, account, dealer):
    adapter = PlatformAdapter.objects.create(name="mt5-live", type=PlatformAdapter.Type.METATRADER5)
    Position.objects.filter(pk=closed.pk).update(adapter=adapter, external_id="9001")
    closed.refresh_from_db()
    before = state(account)

    with pytest.raises(InvalidCorrection, match="outside platform"):
        services.correct_position(closed, field="open_price", value=D("1.1"), reason="feed spike", actor=dealer)

    assert state(account) == before
    assert not PositionCorrection.objects.exists()


def test_correcting_through_the_api(api_client, closed, account, dealer):
    api_client.force_authenticate(dealer)
    url = reverse("backoffice:position-correct", args=[closed.pk])

    done = api_client.post(url, {"field": "commission", "value": "4.00", "reason": "Goodwill"}, format="json")
    refused = api_client.post(url, {"field": "commission", "value": "4.00", "reason": "Again"}, format="json")
    listed = api_client.get(reverse("backoffice:position-corrections", args=[closed.pk]))
    api_client.force_authenticate(staff_with_role(Role.SALES_AGENT))
    forbidden = api_client.post(url, {"field": "commission", "value": "3.60", "reason": "x"}, format="json")

    assert done.status_code == 201, done.json()
    assert (done.json()["before"], done.json()["after"], done.json()["balance_change"]) == (
        "7.0000000000", "4.0000000000", "3.00000000"
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_correction"
    assert [row["reason"] for row in listed.json()] == ["Goodwill"]
    assert forbidden.status_code in (403, 404)
    assert balance(account) == D("9976.00")
    call_command("verify_ledger")


def test_correcting_in_the_admin(client, closed, account, dealer):
    client.force_login(dealer)
    url = reverse("admin:trading_position_correct", args=[closed.pk])

    form = client.get(url)
    done = client.post(url, {"field": "close_price", "value": "1.10010", "reason": "Bad tick"})
    refused = client.post(url, {"field": "close_price", "value": "1.10010", "reason": "Twice"})
    page = client.get(reverse("admin:trading_position_change", args=[closed.pk]))
    client.force_login(staff_with_role(Role.SUPPORT))

    assert form.status_code == 200
    assert done.status_code == 302
    assert refused.status_code == 200
    assert "That is the current value." in refused.content.decode()
    assert "Bad tick" in page.content.decode()
    assert client.get(url).status_code == 403
    # loss 20.00 becomes a loss of 10.00
    assert balance(account) == D("9983.00")
    assert Position.objects.get(pk=closed.pk).close_price == D("1.10010")
    call_command("verify_ledger")


def test_the_corrections_list_costs_the_same_queries_for_one_and_for_three(
    api_client, closed, dealer, django_assert_num_queries
):
    api_client.force_authenticate(dealer)
    url = reverse("backoffice:position-corrections", args=[closed.pk])
    services.correct_position(closed, field="commission", value=D("4.00"), reason="Goodwill", actor=dealer)
    api_client.get(url)  # permissions cached
    with django_assert_num_queries(2) as first:  # the position (scoped), its corrections
        assert len(api_client.get(url).json()) == 1
    for value in ("5.00", "6.00"):
        services.correct_position(
            closed, field="commission", value=D(value), reason="Again", actor=staff_with_role(Role.DEALER)
        )

    with django_assert_num_queries(len(first.captured_queries)):
        assert len(api_client.get(url).json()) == 3
