"""Factories of the trading domain: instruments, group settings, trading accounts, quotes."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from crm.trading.models import GroupTradingSettings, Instrument, Quote
from crm.wallets.models import Wallet
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory, WalletFactory


class InstrumentFactory(DjangoModelFactory):
    class Meta:
        model = Instrument
        django_get_or_create = ["symbol"]

    symbol = "EURUSD"
    description = "Euro vs US dollar"
    margin_currency = factory.LazyAttribute(lambda o: o.symbol[:3])
    profit_currency = factory.LazyAttribute(lambda o: o.symbol[3:6])
    digits = 5
    contract_size = Decimal(100000)
    tick_size = Decimal("0.00001")


class GroupTradingSettingsFactory(DjangoModelFactory):
    class Meta:
        model = GroupTradingSettings

    group = factory.SubFactory(AccountGroupFactory)


class TradingAccountFactory(WalletFactory):
    """A live trading account in USD, leverage 1:100, in a group with trading settings."""

    type = Wallet.Type.TRADE
    currency = factory.SubFactory(CurrencyFactory, code="USD")
    leverage = 100
    group = factory.LazyAttribute(lambda o: GroupTradingSettingsFactory().group)


def quote(instrument: Instrument, bid: str, ask: str) -> Quote:
    """Set the instrument's last quote without running triggers."""
    row, _ = Quote.objects.update_or_create(
        instrument=instrument, defaults={"bid": Decimal(bid), "ask": Decimal(ask), "time": timezone.now()}
    )
    return row


def spot_market(symbol: str = "BTCUSD", *, bid: str = "50000.00", ask: str = "50010.00") -> Instrument:
    """A spot market (lot size 1, volumes in steps of 0.0001 base) with the ledger's currencies and a quote."""
    CurrencyFactory(code=symbol[:3], minor_units=8 if symbol[:3] in ("BTC", "ETH") else 2)
    CurrencyFactory(code=symbol[3:], minor_units=2)
    instrument = InstrumentFactory(
        symbol=symbol,
        market_type=Instrument.MarketType.SPOT,
        category=Instrument.Category.CRYPTO,
        digits=2,
        tick_size=Decimal("0.01"),
        contract_size=Decimal(1),
        min_lot=Decimal("0.0001"),
        lot_step=Decimal("0.0001"),
        amount_scale=4,
        max_lot=Decimal(100),
    )
    quote(instrument, bid, ask)
    return instrument
