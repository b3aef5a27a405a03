"""The platform adapter interface: the built-in platform behind it, the choice by the account group's adapter,
and the deal sync from an outside platform (idempotent, catching up from its cursor, server time zones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest

from crm.core.models import OutboxEvent
from crm.core.roles import Role
from crm.trading import services, tasks
from crm.trading.exceptions import TradingNotAllowed
from crm.trading.models import Deal, PlatformAdapter, Position
from crm.trading.platforms import (
    BuiltinPlatform,
    NoPlatform,
    Rest001Platform,
    TraderSession,
    TradingPlatform,
    platform_for,
    platform_of,
)
from crm.trading.platforms.base import DealPage, OrderRequest, PlatformDeal, PlatformError, PlatformUnavailable
from crm.wallets.exceptions import FourEyesRequired
from crm.wallets.models import Transaction
from tests.conftest import staff_with_role
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


def _rest_adapter(**configuration) -> PlatformAdapter:
    adapter = PlatformAdapter(
        name="broker-001", type=PlatformAdapter.Type.REST, configuration={"base_url": "http://platform.test"}
    )
    adapter.configuration.update(configuration)
    adapter.set_secrets({"token": "back-office-jwt"})
    adapter.save()
    return adapter


def _on(adapter: PlatformAdapter, **kwargs):
    account = TradingAccountFactory(**kwargs)
    settings = account.group.trading_settings
    settings.adapter = adapter
    settings.save(update_fields=["adapter"])
    return account


def test_the_account_groups_adapter_picks_the_platform():
    builtin = TradingAccountFactory()
    outside = _on(_rest_adapter())

    assert isinstance(platform_for(builtin), BuiltinPlatform)
    assert isinstance(platform_for(outside), Rest001Platform)
    assert isinstance(platform_for(builtin), TradingPlatform)
    assert isinstance(platform_for(outside), TradingPlatform)


def test_an_adapter_type_without_an_implementation_is_refused():
    adapter = PlatformAdapter.objects.create(name="mt5-live", type=PlatformAdapter.Type.METATRADER5)

    with pytest.raises(NoPlatform):
        platform_of(adapter)


def test_builtin_money_moves_once_per_deduplication_id_and_keeps_four_eyes():
    account = TradingAccountFactory()
    finance, other = staff_with_role(Role.FINANCE), staff_with_role(Role.FINANCE)
    platform = BuiltinPlatform(actor=finance)

    first = platform.deposit(account.number, amount=D("250.00"), currency="USD", deduplication_id="dep-1")
    again = platform.deposit(account.number, amount=D("250.00"), currency="USD", deduplication_id="dep-1")
    withdrawal = platform.withdraw(account.number, amount=D("100.00"), currency="USD", deduplication_id="wd-1")
    with pytest.raises(FourEyesRequired):
        platform.confirm_withdrawal(account.number, transfer_id=withdrawal.transfer_id)
    BuiltinPlatform(actor=other).confirm_withdrawal(account.number, transfer_id=withdrawal.transfer_id)
    cancelled = platform.withdraw(account.number, amount=D("50.00"), currency="USD", deduplication_id="wd-2")
    platform.cancel_withdrawal(account.number, transfer_id=cancelled.transfer_id)

    account.refresh_from_db()
    assert (first.transfer_id, first.status, first.deduplication_id) == (again.transfer_id, "Completed", "dep-1")
    assert (withdrawal.kind, withdrawal.status) == ("Withdrawal", "Pending")
    assert platform.transfer(withdrawal.transfer_id).status == "Completed"
    assert platform.transfer(cancelled.transfer_id).status == "Cancelled"
    assert (account.balance, account.on_hold) == (D("150.00"), D("0.00"))
    assert Transaction.objects.filter(wallet=account).count() == 3


def test_builtin_trades_and_reads_deals_back():
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    account = fund(TradingAccountFactory(), "10000.00")
    platform = BuiltinPlatform()
    session = TraderSession(account.number)

    placed = platform.place_order(session, OrderRequest(symbol="EURUSD", side="buy", lots=D("0.10")))
    [opening] = platform.order_deals(session, placed.order_id)
    quote(eurusd, "1.10100", "1.10120")
    platform.close_position(session, opening.position_id, lots=D("0.10"))

    deals = platform.position_deals(session, opening.position_id)
    assert placed.status == "filled"
    assert [(d.entry, d.side, d.lots, d.price) for d in deals] == [
        ("in", "buy", D("0.10"), D("1.10020")),
        ("out", "sell", D("0.10"), D("1.10100")),
    ]
    assert deals[1].profit == D("8.00")
    assert platform.deals(session, since=None).deals == deals


@dataclass
class FakePlatform:
    """An outside platform in memory: its deals per account, and the `since` each read asked from."""

    deals_by_account: dict[str, list[PlatformDeal]] = field(default_factory=dict)
    asked: list[dt.datetime | None] = field(default_factory=list)
    down: bool = False
    unknown: set[str] = field(default_factory=set)

    def deals(self, session: TraderSession, *, since: dt.datetime | None, limit: int = 500) -> DealPage:
        if self.down:
            raise PlatformUnavailable("connection refused")
        if session.account_id in self.unknown:
            raise PlatformError("no such account", status=404)
        self.asked.append(since)
        rows = [
            d
            for d in self.deals_by_account.get(session.account_id, [])
            if since is None or d.time.replace(tzinfo=dt.UTC) >= since - dt.timedelta(hours=3)
        ]
        return DealPage(deals=rows[:limit], has_more=len(rows) > limit)


def _deal(account, deal_id, *, position="P1", entry="in", side="buy", at="2026-03-02 12:00:00", **extra):
    values = {"lots": D("0.5"), "price": D("1.1"), **extra}
    return PlatformDeal(
        deal_id=deal_id, account_id=account.number, symbol="EURUSD", position_id=position, order_id="", side=side,
        entry=entry, time=dt.datetime.fromisoformat(at), **values,
    )  # fmt: skip


def test_sync_stores_a_deal_once_and_normalises_the_server_time_zone():
    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter(timezone="Europe/Nicosia")  # UTC+2 in March
    account = fund(_on(adapter), "1000.00")
    fake = FakePlatform({account.number: [_deal(account, "D1", at="2026-03-02 12:00:00")]})

    first = services.sync_platform(adapter, platform=fake)
    second = services.sync_platform(adapter, platform=fake)

    deal = Deal.objects.get()
    assert (first.stored, second.stored, second.seen) == (1, 0, 1)
    assert (deal.adapter, deal.external_id, deal.account) == (adapter, "D1", account)
    assert deal.created_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert deal.position.opened_at == deal.created_at
    adapter.refresh_from_db()
    assert adapter.synced_until == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_sync_closes_positions_without_touching_the_ledger_or_the_engine():
    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter()
    account = fund(_on(adapter), "1000.00")
    fake = FakePlatform(
        {
            account.number: [
                _deal(account, "D1", at="2026-03-02 12:00:00"),
                _deal(
                    account,
                    "D2",
                    entry="out",
                    side="sell",
                    at="2026-03-02 13:00:00",
                    price=D("1.2"),
                    profit=D("50.00"),
                    lots=D("0.2"),
                ),
            ]
        }
    )

    services.sync_platform(adapter, platform=fake)
    position = Position.objects.get(adapter=adapter, external_id="P1")
    assert (position.status, position.lots, position.opened_lots, position.profit) == (
        "open",
        D("0.3"),
        D("0.5"),
        D("50.00"),
    )
    assert not Position.objects.open().exists()  # the engine never runs an outside platform's positions
    with pytest.raises(TradingNotAllowed):
        services.close_position(position)

    fake.deals_by_account[account.number].append(
        _deal(account, "D3", entry="out", side="sell", at="2026-03-02 14:00:00", price=D("1.3"), lots=D("0.3"))
    )
    services.sync_platform(adapter, platform=fake)

    position.refresh_from_db()
    account.refresh_from_db()
    assert (position.status, position.lots, position.close_price) == ("closed", D("0"), D("1.3"))
    assert position.closed_at == dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
    assert account.balance == D("1000.00")  # the platform holds that money; no journal entry here
    assert list(
        OutboxEvent.objects.filter(name__startswith="position.").order_by("pk").values_list("name", flat=True)
    ) == ["position.opened", "position.closed"]


def test_sync_catches_up_from_its_cursor_after_the_platform_was_down():
    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter(sync_overlap_seconds=60)
    account = _on(adapter)
    fake = FakePlatform({account.number: [_deal(account, "D1", at="2026-03-02 12:00:00")]})
    services.sync_platform(adapter, platform=fake)
    fake.down = True
    fake.deals_by_account[account.number] += [
        _deal(account, "D2", position="P2", at="2026-03-02 15:00:00"),
        _deal(account, "D3", position="P3", at="2026-03-02 16:00:00"),
    ]

    with pytest.raises(Exception, match="connection refused"):
        services.sync_platform(adapter, platform=fake)
    fake.down = False
    result = services.sync_platform(adapter, platform=fake)

    assert fake.asked == [None, dt.datetime(2026, 3, 2, 11, 59, tzinfo=dt.UTC)]
    assert result.stored == 2
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["D1", "D2", "D3"]
    adapter.refresh_from_db()
    assert adapter.synced_until == dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


def test_an_account_the_platform_refuses_holds_the_cursor_but_not_the_others():
    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter()
    refused, fine = _on(adapter), _on(adapter)
    fake = FakePlatform({fine.number: [_deal(fine, "D1")]}, unknown={refused.number})

    result = services.sync_platform(adapter, platform=fake)

    assert (result.stored, result.failed_accounts) == (1, [refused.number])
    assert Deal.objects.get().account == fine
    adapter.refresh_from_db()
    assert adapter.synced_until is None  # asked again from the start once the account is fixed


def test_sync_task_run_twice_stores_each_deal_once(monkeypatch):
    InstrumentFactory(symbol="EURUSD")
    adapter = _rest_adapter()
    account = _on(adapter)
    PlatformAdapter.objects.create(name="disabled", type=PlatformAdapter.Type.REST, is_enabled=False)
    fake = FakePlatform({account.number: [_deal(account, "D1"), _deal(account, "D2", position="P2")]})
    monkeypatch.setattr("crm.trading.services.sync.platform_of", lambda adapter: fake)

    assert tasks.sync_platforms_task() == 2
    assert tasks.sync_platforms_task() == 0
    assert Deal.objects.filter(adapter=adapter).count() == 2
