"""Perpetual funding: notional x rate at each funding moment the position was open for, longs paying a positive
rate, once per (position, moment) through the ledger (hand-computed amounts)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from crm.trading import services, tasks
from crm.trading.models import FundingRate, Instrument, Position
from crm.wallets import services as wallet_services
from crm.wallets.models import JournalEntry
from tests.conftest import staff_with_role
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def btcusd():
    instrument = InstrumentFactory(
        symbol="BTCUSD",
        market_type=Instrument.MarketType.PERPETUAL,
        contract_size=D(1),
        digits=2,
        tick_size=D("0.01"),
        funding_interval_hours=8,
    )
    quote(instrument, "60000.00", "60010.00")  # mark (mid) 60,005
    FundingRate.objects.create(
        instrument=instrument, applied_at=dt.datetime(2026, 12, 3, 8, tzinfo=UTC), rate=D("0.0001")
    )
    FundingRate.objects.create(
        instrument=instrument, applied_at=dt.datetime(2026, 12, 3, 16, tzinfo=UTC), rate=D("-0.0002")
    )
    return instrument


def opened(account, instrument, side, lots, at):
    position = services.place_order(account, instrument=instrument, side=side, lots=D(lots)).position
    Position.objects.filter(pk=position.pk).update(opened_at=at)
    return position


def test_each_funding_moment_while_open_is_charged_once(btcusd):
    long_account = fund(TradingAccountFactory(), "10000.00")
    short_account = fund(TradingAccountFactory(), "10000.00")
    morning = dt.datetime(2026, 12, 3, 7, tzinfo=UTC)
    long = opened(long_account, btcusd, "buy", "0.50", morning)
    short = opened(short_account, btcusd, "sell", "0.50", morning)
    late = opened(long_account, btcusd, "buy", "0.50", dt.datetime(2026, 12, 3, 9, tzinfo=UTC))

    first = services.charge_funding(now=dt.datetime(2026, 12, 3, 16, 30, tzinfo=UTC))
    again = services.charge_funding(now=dt.datetime(2026, 12, 3, 16, 45, tzinfo=UTC))

    for position in (long, short, late):
        position.refresh_from_db()
    # nominal 0.5 x 1 x 60,005 = 30,002.50; 08:00 at 0.0001 = 3.00025 -> 3.00; 16:00 at -0.0002 = 6.0005 -> 6.00
    assert long.funding == D("-3.00") + D("6.00")
    assert short.funding == D("3.00") - D("6.00")
    assert late.funding == D("6.00")  # opened after 08:00: only 16:00
    assert (first, again) == (5, 0)
    assert long.last_funding_at == dt.datetime(2026, 12, 3, 16, tzinfo=UTC)
    assert JournalEntry.objects.filter(kind="TRADING_FUNDING").count() == 5
    long_account.refresh_from_db()
    assert long_account.balance == D("10000.00") + D("3.00") + D("6.00")
    trading = wallet_services.system_account("trading", "USD")
    assert sum((p.amount for p in trading.postings.all()), D(0)) == -(D("3.00") + D("-3.00") + D("6.00"))
    call_command("verify_ledger")


def test_the_same_moment_twice_posts_once():
    instrument = InstrumentFactory(
        symbol="ETHUSD", market_type=Instrument.MarketType.PERPETUAL, contract_size=D(1), digits=2, tick_size=D("0.01")
    )
    quote(instrument, "3000.00", "3000.00")
    moment = dt.datetime(2026, 12, 3, 0, tzinfo=UTC)
    FundingRate.objects.create(instrument=instrument, applied_at=moment, rate=D("0.001"))
    position = opened(
        fund(TradingAccountFactory(), "1000.00"), instrument, "buy", "1.00", moment - dt.timedelta(hours=1)
    )

    assert services.charge_position_funding(position, at=moment) is True
    assert services.charge_position_funding(position, at=moment) is False

    position.refresh_from_db()
    assert position.funding == D("-3.00")  # 1 x 3,000 x 0.001


def test_cfd_positions_and_moments_without_a_rate_are_not_charged(btcusd):
    account = fund(TradingAccountFactory(), "10000.00")
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    cfd = opened(account, eurusd, "buy", "0.10", dt.datetime(2026, 12, 2, 1, tzinfo=UTC))
    perpetual = opened(account, btcusd, "buy", "0.10", dt.datetime(2026, 12, 2, 1, tzinfo=UTC))

    services.charge_funding(now=dt.datetime(2026, 12, 3, 1, tzinfo=UTC))  # 08:00, 16:00 (no rate yet), 00:00

    cfd.refresh_from_db()
    perpetual.refresh_from_db()
    assert (cfd.funding, cfd.last_funding_at) == (D("0"), None)
    assert perpetual.funding == D("0")
    assert perpetual.last_funding_at == dt.datetime(2026, 12, 3, 0, tzinfo=UTC)
    assert not JournalEntry.objects.filter(kind="TRADING_FUNDING").exists()


def test_the_funding_task_charges_what_is_due():
    assert tasks.charge_funding_task() == 0


def test_a_dealer_sets_a_rate_in_the_admin_and_the_changelist_is_constant(client, btcusd):
    client.force_login(staff_with_role(Role.DEALER))
    url = reverse("admin:trading_fundingrate_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    added = client.post(
        reverse("admin:trading_fundingrate_add"),
        {
            "instrument": btcusd.pk,
            "applied_at_0": "2026-12-04",
            "applied_at_1": "00:00:00",
            "interval_hours": 8,
            "rate": "0.00015",
        },
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert added.status_code == 302
    assert FundingRate.objects.filter(instrument=btcusd, rate=D("0.00015")).exists()
    assert len(many) == len(few)
