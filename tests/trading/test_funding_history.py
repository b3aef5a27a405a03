"""Funding rates: the sandbox feed announces each perpetual market's next rate once per funding moment, and 001's
MarketData serves the history at `/marketdata/api/v4/instruments/{marketSymbol}/funding`."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from crm.trading import services
from crm.trading.feeds import MAX_FUNDING_RATE, SandboxFeed
from crm.trading.models import FundingRate, Instrument
from tests.trading.compat_helpers import make_trader
from tests.trading.factories import InstrumentFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
FUNDING = "/marketdata/api/v4/instruments/{}/funding"


def perpetual(symbol="BTCUSD", hours=8):
    return InstrumentFactory(
        symbol=symbol,
        market_type=Instrument.MarketType.PERPETUAL,
        contract_size=D(1),
        digits=2,
        tick_size=D("0.01"),
        funding_interval_hours=hours,
    )


def test_the_next_funding_moment_follows_the_interval_from_midnight_utc():
    btcusd = perpetual(hours=8)

    assert services.next_funding_moment(btcusd, dt.datetime(2026, 12, 3, 7, 59, tzinfo=UTC)) == dt.datetime(
        2026, 12, 3, 8, tzinfo=UTC
    )
    assert services.next_funding_moment(btcusd, dt.datetime(2026, 12, 3, 8, 0, tzinfo=UTC)) == dt.datetime(
        2026, 12, 3, 16, tzinfo=UTC
    )


def test_a_moments_first_announced_rate_stands():
    btcusd = perpetual()
    now = dt.datetime(2026, 12, 3, 9, tzinfo=UTC)

    services.announce_funding_rate(btcusd, rate=D("0.0001"), now=now)
    services.announce_funding_rate(btcusd, rate=D("0.0003"), now=now + dt.timedelta(hours=1))

    rate = FundingRate.objects.get()
    assert (rate.applied_at, rate.rate, rate.interval_hours) == (
        dt.datetime(2026, 12, 3, 16, tzinfo=UTC),
        D("0.0001"),
        8,
    )


def test_the_sandbox_feeds_rate_is_a_bounded_hundredth_of_the_premium():
    btcusd = perpetual()
    feed = SandboxFeed([btcusd], seed=3)
    start = feed.mid[btcusd.pk]

    feed.mid[btcusd.pk] = start * D("1.02")  # 2% over where the walk started
    assert feed.funding_rate(btcusd) == D("0.0002")
    feed.mid[btcusd.pk] = start * D("0.5")
    assert feed.funding_rate(btcusd) == -MAX_FUNDING_RATE


def test_the_price_feed_announces_the_next_rate_of_perpetual_markets_only():
    perpetual()
    InstrumentFactory(symbol="EURUSD")

    call_command("run_price_feed", ticks=5, interval=0, seed=7)
    call_command("run_price_feed", ticks=5, interval=0, seed=7)

    assert list(FundingRate.objects.values_list("instrument__symbol", flat=True)) == ["BTCUSD"]
    assert FundingRate.objects.get().applied_at > dt.datetime.now(UTC)


def test_the_history_pages_through_past_moments_newest_first():
    trader = make_trader()
    btcusd = perpetual()
    for hour, rate in ((0, "0.0001"), (8, "-0.0002"), (16, "0.00015")):
        FundingRate.objects.create(
            instrument=btcusd, applied_at=dt.datetime(2026, 12, 1, hour, tzinfo=UTC), rate=D(rate)
        )
    FundingRate.objects.create(  # announced for a moment still to come: not history yet
        instrument=btcusd, applied_at=dt.datetime.now(UTC) + dt.timedelta(hours=1), rate=D("0.0005")
    )

    first = trader.client.get(FUNDING.format("BTCUSD"), {"limit": 2}).json()
    rest = trader.client.get(FUNDING.format("BTCUSD"), {"limit": 2, "before": first["fundingData"][-1]["appliedAt"]})

    assert set(first) == {"fundingData", "hasMore"}
    assert set(first["fundingData"][0]) == {"appliedAt", "interval", "rate"}
    assert first["fundingData"] == [
        {"appliedAt": "2026-12-01T16:00:00Z", "interval": 8, "rate": "0.00015"},
        {"appliedAt": "2026-12-01T08:00:00Z", "interval": 8, "rate": "-0.0002"},
    ]
    assert first["hasMore"] is True
    assert rest.json() == {
        "fundingData": [{"appliedAt": "2026-12-01T00:00:00Z", "interval": 8, "rate": "0.0001"}],
        "hasMore": False,
    }


def test_the_history_refusals():
    trader = make_trader()

    unknown = trader.client.get(FUNDING.format("NOPE"))
    bad_limit = trader.client.get(FUNDING.format("EURUSD"), {"limit": 0})
    anonymous = APIClient().get(FUNDING.format("EURUSD"))
    cfd = trader.client.get(FUNDING.format("EURUSD"))

    assert unknown.status_code == 400
    assert "marketSymbol" in unknown.json()["error"]["fields"]
    assert bad_limit.status_code == 400
    assert anonymous.status_code == 401
    assert cfd.json() == {"fundingData": [], "hasMore": False}
