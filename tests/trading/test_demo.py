"""`setup_demo_trading` (run by seed_demo): instruments, accounts and trades, once."""

import pytest
from django.core.management import call_command

from crm.trading.models import Instrument, Position, Quote
from crm.wallets.models import Wallet
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_trading_leaves_open_and_closed_positions_and_a_sound_ledger():
    CustomerFactory.create_batch(4)

    call_command("setup_demo_trading", seed=3)
    positions = Position.objects.count()
    call_command("setup_demo_trading", seed=3)

    assert Instrument.objects.count() == 6
    assert Quote.objects.count() == 6
    assert Wallet.objects.filter(type="trade").count() == 4
    assert Position.objects.count() == positions
    assert Position.objects.open().exists()
    assert Position.objects.filter(status="closed").exists()
    assert Wallet.objects.filter(type="trade", margin__gt=0).exists()
    call_command("verify_ledger")
