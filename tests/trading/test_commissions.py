"""Commission profiles charged on fills: the highest-priority matching rule's fee, added to the group's commission
per lot, on opening and closing deals, once per deal through the ledger (hand-computed amounts)."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from crm.trading import services
from crm.trading.models import Asset, CommissionProfile, Deal, GroupTradingSettings, Instrument, MarketGroup
from crm.wallets import services as wallet_services
from crm.wallets.models import JournalEntry
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def majors():
    return MarketGroup.objects.create(name="Majors")


@pytest.fixture
def eurusd(majors):
    instrument = InstrumentFactory(symbol="EURUSD", market_group=majors)
    quote(instrument, "1.10000", "1.10020")
    return instrument


@pytest.fixture
def profile(majors):
    """Default: 2 USD per lot (priority 2); Majors: 0.01% of the notional, at least 5 USD (priority 1)."""
    profile = CommissionProfile.objects.create(name="Retail")
    services.create_rule(profile, actor=None, cfd_fee_type="PerLot", cfd_fee_size=D("2"))
    services.create_rule(
        profile,
        actor=None,
        priority=1,
        market_group=majors,
        cfd_fee_type="Percent",
        cfd_fee_size=D("0.01"),
        min_fee=D("5"),
    )
    return profile


@pytest.fixture
def account(profile):
    account = fund(TradingAccountFactory(), "10000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(
        commission_per_lot=D("3.50"), commission_profile=profile
    )
    return account


def fee_income() -> D:
    return sum((p.amount for p in wallet_services.system_account("fee_income", "USD").postings.all()), D(0))


def test_a_fill_charges_the_group_commission_plus_the_first_matching_rule_on_both_sides(account, eurusd):
    order = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))
    # open: 3.50 + 0.01% x 1 x 100,000 x 1.10020 = 3.50 + 11.002 -> 14.50
    assert order.position.commission == D("14.50")
    services.close_position(order.position)
    # close at the bid: 3.50 + 0.01% x 110,000 = 14.50; loss 0.0002 x 100,000 = 20.00
    account.refresh_from_db()

    assert list(Deal.objects.order_by("pk").values_list("commission", flat=True)) == [D("14.50"), D("14.50")]
    assert account.balance == D("10000.00") - D("14.50") - D("20.00") - D("14.50")
    assert fee_income() == D("29.00")
    assert JournalEntry.objects.filter(kind="TRADING_COMMISSION").count() == 2
    call_command("verify_ledger")


def test_the_minimum_fee_applies_to_small_deals(account, eurusd):
    order = services.place_order(account, instrument=eurusd, side="sell", lots=D("0.10"))

    # 0.35 + max(0.01% x 0.1 x 100,000 x 1.10000 = 1.10, 5) = 5.35
    assert order.position.commission == D("5.35")


def test_the_higher_priority_rule_wins_when_several_match(account, eurusd, profile):
    market_rule = services.create_rule(
        profile, actor=None, instrument=eurusd, cfd_fee_type="Fixed", cfd_fee_size=D("9")
    )
    first = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))
    services.set_rule_priorities(profile, [{"commissionProfileRuleId": market_rule.pk, "priority": 1}], actor=None)
    second = services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00"))

    assert first.position.commission == D("14.50")  # the Majors rule (priority 1) over the market's (3)
    assert second.position.commission == D("12.50")  # 3.50 + 9 per deal


def test_a_fee_in_another_asset_is_converted_and_the_default_rule_covers_other_markets(account, profile):
    gold = InstrumentFactory(symbol="XAUUSD", contract_size=D(100), digits=2, tick_size=D("0.01"))
    quote(gold, "2000.00", "2000.50")
    eur = Asset.objects.create(code="EUR", name="Euro")
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    default = profile.rules.get(market_group__isnull=True, instrument__isnull=True)
    services.update_rule(default, actor=None, cfd_fee_asset=eur)

    order = services.place_order(account, instrument=gold, side="buy", lots=D("0.50"))

    # 0.5 x 3.50 = 1.75; 0.5 x 2 EUR = 1 EUR at the EURUSD mid 1.10010 = 1.1001 USD -> 2.8501 -> 2.85
    assert order.position.commission == D("2.85")


def test_spot_markets_are_not_charged_by_cfd_rules(account, eurusd):
    """A spot trade pays the group's commission per lot plus the matching rule's spot fee, never its CFD fee: the
    Majors rule charges no spot fee but at least its 5 USD minimum (its 0.01% CFD fee would be 11.00)."""
    Instrument.objects.filter(pk=eurusd.pk).update(market_type=Instrument.MarketType.SPOT)
    eurusd.refresh_from_db()
    settings = GroupTradingSettings.objects.get(group=account.group)

    fee = services.spot_fee(
        account, settings, eurusd, lots=D("1.00"), quote_amount=D("110020"), quote_currency=account.currency
    )

    assert fee == D("3.50") + D("5.00")


def test_without_a_profile_only_the_group_commission_is_charged(account, eurusd):
    GroupTradingSettings.objects.filter(group=account.group).update(commission_profile=None)

    order = services.place_order(account, instrument=eurusd, side="buy", lots=D("2.00"))

    assert order.position.commission == D("7.00")
