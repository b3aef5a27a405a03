"""Spot orders: fills by base or quote amount at bid/ask with markup, fees, asset balances through the ledger."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.affiliates import services as affiliate_services
from crm.affiliates.models import CommissionLedger, ReferralAction
from crm.affiliates.models import CommissionRule as AffiliateRule
from crm.core.models import OutboxEvent
from crm.trading import services
from crm.trading.exceptions import InDowntime, InsufficientAssets, InvalidPrice, InvalidVolume
from crm.trading.models import (
    CommissionProfile,
    CommissionRule,
    Downtime,
    FeeType,
    GroupTradingSettings,
    Instrument,
    Order,
    Position,
    SpotFill,
    SpotHolding,
)
from crm.trading.services import execution
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet
from tests.affiliates.factories import AffiliateFactory, CommissionLevelFactory, CommissionRuleFactory, referral_of
from tests.trading.factories import TradingAccountFactory, spot_market
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def btcusd():
    return spot_market("BTCUSD", bid="50000.00", ask="50010.00")


@pytest.fixture
def account():
    account = fund(TradingAccountFactory(), "1000.00")
    GroupTradingSettings.objects.filter(group=account.group).update(markup_points=100)  # 1.00 USD a side
    return account


def _btc(account: Wallet) -> D:
    holding = SpotHolding.objects.filter(account=account, currency="BTC").select_related("wallet").first()
    return holding.wallet.balance if holding else D(0)


def _percent_fee(account: Wallet, percent: str, *, min_fee: str = "0") -> None:
    profile = CommissionProfile.objects.create(name="Spot fees")
    CommissionRule.objects.create(
        profile=profile, priority=1, spot_fee_type=FeeType.PERCENT, spot_fee_size=D(percent), min_fee=D(min_fee)
    )
    GroupTradingSettings.objects.filter(group=account.group).update(commission_profile=profile)


def test_buy_by_base_amount_pays_the_ask_plus_markup_and_the_percent_fee(account, btcusd):
    _percent_fee(account, "0.1")

    order = services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0100"))

    account.refresh_from_db()
    fill = SpotFill.objects.get()
    # 0.01 BTC at 50,010 + 1.00 markup = 500.11 USD; fee 0.1% = 0.50011 -> 0.50
    assert (order.status, order.fill_price, order.lots, order.position) == ("filled", D("50011.00"), D("0.01"), None)
    assert (fill.base_amount, fill.quote_amount, fill.fee) == (D("0.01"), D("500.11"), D("0.50"))
    assert account.balance == D("1000.00") - D("500.11") - D("0.50")
    assert _btc(account) == D("0.01")
    assert wallet_services.system_account("fee_income", "USD").postings.get().amount == D("0.50")
    assert Position.objects.count() == 0
    call_command("verify_ledger")


def test_a_spot_market_order_slips_within_the_rate_and_is_refused_beyond_the_deviation(account, btcusd, monkeypatch):
    Instrument.objects.filter(pk=btcusd.pk).update(slippage_rate=D("0.01"), price_deviation=D("0.01"))
    btcusd.refresh_from_db()
    monkeypatch.setattr(execution, "slippage_draw", lambda: D("0.5"))  # 50,011 x 0.01% x 0.5 = 2.50055 -> 2.50

    order = services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0100"))
    before = state(account)
    with pytest.raises(InvalidPrice):  # asked 49,990: 50,013.50 is 0.047% away, over the allowed 0.01%
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0100"), price=D("49990.00"))

    assert order.fill_price == D("50013.50")
    assert state(account) == before
    call_command("verify_ledger")


def test_sell_by_base_amount_receives_the_bid_minus_markup_rounded_down_less_the_fee(account, btcusd):
    _percent_fee(account, "0.1")
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0100"))

    services.place_spot_order(account, instrument=btcusd, side="sell", base_amount=D("0.0040"))

    account.refresh_from_db()
    sale = SpotFill.objects.get(side="sell")
    # 0.004 BTC at 50,000 - 1.00 = 49,999.00 -> 199.996 rounded down 199.99; fee 0.19999 -> 0.20
    assert (sale.price, sale.quote_amount, sale.fee) == (D("49999.00"), D("199.99"), D("0.20"))
    assert account.balance == D("499.39") + D("199.99") - D("0.20")
    assert _btc(account) == D("0.006")
    call_command("verify_ledger")


def test_buy_by_quote_amount_takes_the_most_base_on_the_lot_grid_and_rounds_the_cost_up(account, btcusd):
    services.place_spot_order(account, instrument=btcusd, side="buy", quote_amount=D("100.00"))

    account.refresh_from_db()
    fill = SpotFill.objects.get()
    # 100 / 50,011 = 0.0019995... -> 0.0019 BTC; 0.0019 x 50,011 = 95.0209 -> 95.03 USD
    assert (fill.base_amount, fill.quote_amount, fill.fee) == (D("0.0019"), D("95.03"), D("0"))
    assert account.balance == D("904.97")
    assert _btc(account) == D("0.0019")


def test_the_groups_commission_per_lot_is_the_fee_without_a_profile(account, btcusd):
    GroupTradingSettings.objects.filter(group=account.group).update(commission_per_lot=D("3.50"))

    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))

    assert SpotFill.objects.get().fee == D("0.04")  # 0.01 lots x 3.50 = 0.035 -> 0.04 (half even)


def test_the_minimum_fee_applies_to_small_trades(account, btcusd):
    _percent_fee(account, "0.1", min_fee="2.00")

    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0010"))

    fill = SpotFill.objects.get()
    assert (fill.quote_amount, fill.fee) == (D("50.02"), D("2.00"))  # 0.05002 is below the 2.00 minimum


def test_buying_more_than_the_account_holds_is_refused_and_nothing_changes(account, btcusd):
    before = state(account)

    with pytest.raises(InsufficientAssets) as refusal:
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.02"))  # 1,000.22 USD

    assert refusal.value.fields == {"quote_amount": ["Not enough USD."]}
    assert state(account) == before
    assert (Order.objects.count(), SpotFill.objects.count(), SpotHolding.objects.count()) == (0, 0, 0)


def test_selling_an_asset_the_account_does_not_hold_is_refused(account, btcusd):
    before = state(account)

    with pytest.raises(InsufficientAssets):
        services.place_spot_order(account, instrument=btcusd, side="sell", base_amount=D("0.001"))

    assert state(account) == before
    assert Order.objects.count() == 0


def test_a_pending_limit_order_the_account_can_no_longer_pay_is_rejected_on_trigger(account, btcusd):
    order = services.place_spot_order(
        account, instrument=btcusd, side="buy", base_amount=D("0.02"), order_type="limit", price=D("45000.00")
    )
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))

    services.process_quote(btcusd, bid=D("44980.00"), ask=D("44990.00"))

    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert order.reject_reason.startswith("Not enough USD")


def test_a_limit_buy_fills_when_the_ask_reaches_it_at_the_market_price(account, btcusd):
    order = services.place_spot_order(
        account, instrument=btcusd, side="buy", base_amount=D("0.01"), order_type="limit", price=D("49000.00")
    )
    assert (order.status, SpotFill.objects.count()) == ("pending", 0)

    services.process_quote(btcusd, bid=D("48980.00"), ask=D("48990.00"))

    order.refresh_from_db()
    account.refresh_from_db()
    assert (order.status, order.fill_price) == ("filled", D("48991.00"))
    assert account.balance == D("1000.00") - D("489.91")
    assert _btc(account) == D("0.01")
    call_command("verify_ledger")


def test_a_sell_limit_fills_at_the_bid_when_the_bid_reaches_it(account, btcusd):
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))  # 500.11 USD
    order = services.place_spot_order(
        account, instrument=btcusd, side="sell", base_amount=D("0.004"), order_type="limit", price=D("52000.00")
    )

    services.process_quote(btcusd, bid=D("52010.00"), ask=D("52020.00"))

    order.refresh_from_db()
    account.refresh_from_db()
    assert (order.status, order.fill_price) == ("filled", D("52009.00"))  # the bid less 1.00 markup
    assert account.balance == D("499.89") + D("208.03")  # 0.004 x 52,009 = 208.036 -> 208.03
    assert _btc(account) == D("0.006")
    call_command("verify_ledger")


def test_a_limit_order_by_quote_amount_is_sized_at_its_price(account, btcusd):
    order = services.place_spot_order(
        account, instrument=btcusd, side="buy", quote_amount=D("100.00"), order_type="limit", price=D("40000.00")
    )

    assert order.lots == D("0.0025")


def test_spot_orders_are_refused_in_a_downtime(account, btcusd):
    now = timezone.now()
    downtime = Downtime.objects.create(
        title="Upgrade", starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    downtime.instruments.add(btcusd)

    with pytest.raises(InDowntime):
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))

    assert Order.objects.count() == 0


def test_an_amount_off_the_lot_grid_or_both_amounts_are_refused(account, btcusd):
    with pytest.raises(InvalidVolume):
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.00015"))
    with pytest.raises(InvalidVolume):
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"), quote_amount=D(1))
    with pytest.raises(InvalidVolume):
        services.place_spot_order(account, instrument=btcusd, side="buy", quote_amount=D("1.00"))  # < 0.0001 BTC


def test_place_order_in_lots_on_a_spot_market_moves_assets_instead_of_opening_a_position(account, btcusd):
    order = services.place_order(account, instrument=btcusd, side="buy", lots=D("0.01"))

    assert (order.status, order.position, Position.objects.count()) == ("filled", None, 0)
    assert _btc(account) == D("0.01")


def test_the_fill_emits_order_filled_with_the_affiliates_trade_payload(account, btcusd):
    _percent_fee(account, "0.1")

    order = services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))

    fill = SpotFill.objects.get()
    event = OutboxEvent.objects.get(name="order.filled")
    assert event.payload == {
        "order_id": order.pk,
        "position_id": None,
        "fill_id": fill.pk,
        "market_type": "SPOT",
        "account_id": account.pk,
        "customer_id": account.customer_id,
        "instrument": "BTCUSD",
        "instrument_group": "CRYPTO",
        "side": "buy",
        "lots": "0.01",
        "base_amount": "0.01",
        "quote_amount": "500.11",
        "price": "50011",
        "commission": "0.5",
        "spread": "0",
        "currency": "USD",
        "opened_at": fill.created_at.isoformat(),
        "closed_at": fill.created_at.isoformat(),
    }


def test_the_asset_wallet_is_opened_once_and_is_an_exchange_wallet_of_the_client(account, btcusd):
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.001"))
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.002"))

    holding = SpotHolding.objects.select_related("wallet").get()
    assert (holding.wallet.type, holding.wallet.customer_id, holding.wallet.currency_id) == (
        "exchange",
        account.customer_id,
        "BTC",
    )
    assert holding.wallet.balance == D("0.003")
    assert (holding.wallet.can_deposit, holding.wallet.can_withdraw, holding.wallet.can_transfer) == (False,) * 3


def test_a_referred_clients_spot_fill_earns_the_introducers_lot_rebate(btcusd, django_capture_on_commit_callbacks):
    level = CommissionLevelFactory(level=1)
    introducer = AffiliateFactory(commission_model=level.commission_model)
    CommissionRuleFactory(level=level, kind=AffiliateRule.Kind.LOT_REBATE, amount=D("20"))
    account = fund(TradingAccountFactory(customer=referral_of(introducer)), "1000.00")

    with django_capture_on_commit_callbacks(execute=True):
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0150"))
    affiliate_services.run_commissions()

    action = ReferralAction.objects.get()
    assert (action.action_type, action.source_id, action.lots) == ("SPOT_TRADE", SpotFill.objects.get().pk, D("0.015"))
    assert list(CommissionLedger.objects.values_list("commission_amount", flat=True)) == [D("0.30")]  # 0.015 lots x 20


def test_a_spot_order_worth_less_than_the_markets_minimum_value_is_refused(account, btcusd):
    btcusd.min_quote_amount = D("100")
    btcusd.save()
    before = state(account)

    with pytest.raises(InvalidVolume) as refused:
        services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.0010"))  # ~50 USD
    assert refused.value.fields == {"lots": ["The smallest order of BTCUSD is worth 100.00 USD."]}
    assert state(account) == before

    order = services.place_spot_order(account, instrument=btcusd, side="buy", quote_amount=D("150.00"))
    assert order.status == "filled"
