"""The engine under concurrency on PostgreSQL: one close per position, no margin taken twice."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from crm.trading import selectors, services
from crm.trading.models import Deal, Position
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund
from tests.wallets.test_concurrency import run_together, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_tick_and_the_client_closing_one_position_close_it_once():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(), "10000.00")
    position = services.place_order(
        account, instrument=eurusd, side="buy", lots=D("1.00"), stop_loss=D("1.09")
    ).position
    quote(eurusd, "1.08990", "1.09010")
    calls = [
        lambda: services.close_position(Position(pk=position.pk, account=account), if_open=True),
        lambda: services.process_quote(eurusd, bid=D("1.08990"), ask=D("1.09010")),
    ] * 4

    results = run_together(calls)

    assert unexpected(results) == []
    assert Deal.objects.filter(position=position, entry="out").count() == 1
    account.refresh_from_db()
    assert account.balance == D("10000.00") - D("1030.00")
    call_command("verify_ledger")


def test_parallel_orders_never_take_margin_the_account_does_not_have():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10000")
    account = fund(TradingAccountFactory(), "5000.00")  # room for four lots at 1,100 each
    calls = [lambda: services.place_order(account, instrument=eurusd, side="buy", lots=D("1.00")) for _ in range(8)]

    results = run_together(calls)

    assert unexpected(results) == []
    account.refresh_from_db()
    state = selectors.account_state(account)
    assert Position.objects.open().count() == 4
    assert state.margin == D("4400")
    assert state.free_margin >= 0


def test_workers_syncing_one_platform_at_once_store_each_deal_once():
    from tests.trading.test_platforms import FakePlatform, _deal, _on, _rest_adapter

    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter()
    account = _on(adapter)
    fake = FakePlatform(
        {
            account.number: [
                _deal(account, "D1", at="2026-03-02 12:00:00"),
                _deal(account, "D2", at="2026-03-02 12:01:00"),
                _deal(account, "D3", entry="out", side="sell", at="2026-03-02 12:02:00", lots=D("0.4")),
            ]
        }
    )

    results = run_together([lambda: services.sync_platform(adapter, platform=fake)] * 4)

    assert unexpected(results) == []
    assert sum(r.stored for r in results) == 3
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["D1", "D2", "D3"]
    position = Position.objects.get(adapter=adapter)
    assert (position.opened_lots, position.lots) == (D("1.0"), D("0.6"))
