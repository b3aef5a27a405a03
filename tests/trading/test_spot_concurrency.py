"""Spot orders under concurrency on PostgreSQL: parallel orders never spend the same balance twice."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from crm.trading import services
from crm.trading.exceptions import InsufficientAssets
from crm.trading.models import SpotFill, SpotHolding
from tests.trading.factories import TradingAccountFactory, spot_market
from tests.wallets.helpers import fund
from tests.wallets.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_buys_never_spend_the_quote_balance_twice():
    btcusd = spot_market("BTCUSD", bid="50000.00", ask="50010.00")
    account = fund(TradingAccountFactory(), "1000.00")  # 0.004 BTC costs 200.04: room for four
    calls = [
        lambda: services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.004"))
        for _ in range(8)
    ]

    results = run_together(calls)

    assert unexpected(results) == []
    assert sum(isinstance(r, InsufficientAssets) for r in results) == 4
    account.refresh_from_db()
    assert SpotFill.objects.count() == 4
    assert account.balance == D("1000.00") - 4 * D("200.04")
    assert SpotHolding.objects.get().wallet.balance == D("0.016")
    call_command("verify_ledger")


def test_parallel_sells_never_sell_the_same_asset_twice():
    btcusd = spot_market("BTCUSD", bid="50000.00", ask="50000.00")
    account = fund(TradingAccountFactory(), "1000.00")
    services.place_spot_order(account, instrument=btcusd, side="buy", base_amount=D("0.01"))
    calls = [
        lambda: services.place_spot_order(account, instrument=btcusd, side="sell", base_amount=D("0.003"))
        for _ in range(8)
    ]

    results = run_together(calls)

    assert unexpected(results) == []
    account.refresh_from_db()
    assert SpotFill.objects.filter(side="sell").count() == 3
    assert SpotHolding.objects.get().wallet.balance == D("0.001")
    assert account.balance == D("1000.00") - D("500.00") + 3 * D("150.00")
    call_command("verify_ledger")
