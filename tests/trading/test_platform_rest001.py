"""The 001 REST client: its requests, checked exactly against a stand-in, and a session end to end against this
product's own 001 endpoints on a live server (open an account, trade, read the deals back, sync them)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import httpx
import pytest
from django.contrib.auth.models import Group

from crm.core.roles import Role
from crm.trading import services
from crm.trading.models import Deal, PlatformAdapter, Position
from crm.trading.platforms import PlatformUnavailable, Rest001Platform, TraderSession, platform_for
from crm.trading.platforms.base import OrderRequest, PlatformError
from crm.wallets.models import Wallet
from tests.customers.factories import PortalCustomerFactory
from tests.harness.fuzz_world import restore_migration_rows
from tests.trading.factories import GroupTradingSettingsFactory, InstrumentFactory, quote
from tests.users.factories import ApiTokenFactory
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory

TRANSFER = {
    "transferId": "77", "deduplicationId": "dep-1", "assetId": "USD", "type": "Deposit", "status": "Completed",
    "amount": "150.5", "createdAt": "2026-03-02T10:00:00Z", "updatedAt": "2026-03-02T10:00:00Z",
}  # fmt: skip


def _adapter(base_url: str = "http://platform.test", callback_url: str = "", **secrets: object) -> PlatformAdapter:
    adapter = PlatformAdapter(
        name="broker-001",
        type=PlatformAdapter.Type.REST,
        configuration={"base_url": base_url, "callback_url": callback_url},
    )
    adapter.set_secrets({"token": "bo-jwt", **secrets})
    return adapter


def _stand_in(answers: dict[tuple[str, str], tuple[int, object]]):
    """A platform that answers by (method, path) and keeps every request it was sent."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answers[(request.method, request.url.path)]
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    return httpx.Client(base_url="http://platform.test", transport=httpx.MockTransport(handle)), seen


def test_money_calls_send_the_seeds_requests():
    http, seen = _stand_in(
        {
            ("POST", "/back-api/backoffice/transfers/deposit"): (201, TRANSFER),
            ("POST", "/back-api/backoffice/transfers/withdrawal"): (
                201, {**TRANSFER, "transferId": "78", "type": "Withdrawal", "status": "Pending"},
            ),
            ("POST", "/back-api/backoffice/transfers/withdrawal-confirm"): (204, None),
            ("POST", "/back-api/backoffice/transfers/withdrawal-cancel"): (204, None),
        }
    )  # fmt: skip
    platform = Rest001Platform(_adapter(callback_url="https://crm.example/cb", confirm_token="second-jwt"), http=http)

    deposit = platform.deposit("L1", amount=D("150.50"), currency="USD", deduplication_id="dep-1")
    withdrawal = platform.withdraw("L1", amount=D("20"), currency="USD", deduplication_id="wd-1")
    platform.confirm_withdrawal("L1", transfer_id="78")
    platform.cancel_withdrawal("L1", transfer_id="79")

    assert (deposit.transfer_id, deposit.status, deposit.amount) == ("77", "Completed", D("150.5"))
    assert (withdrawal.transfer_id, withdrawal.kind, withdrawal.status) == ("78", "Withdrawal", "Pending")
    assert [json.loads(r.content) for r in seen] == [
        {"deduplicationId": "dep-1", "accountId": "L1", "amount": "150.50", "assetId": "USD",
         "callbackUrl": "https://crm.example/cb"},
        {"deduplicationId": "wd-1", "accountId": "L1", "amount": "20", "assetId": "USD",
         "callbackUrl": "https://crm.example/cb"},
        {"accountId": "L1", "transferId": "78", "callbackUrl": "https://crm.example/cb"},
        {"accountId": "L1", "transferId": "79", "callbackUrl": "https://crm.example/cb"},
    ]  # fmt: skip
    assert [r.headers["Authorization"] for r in seen] == [
        "Bearer bo-jwt", "Bearer bo-jwt", "Bearer second-jwt", "Bearer bo-jwt",
    ]  # fmt: skip
    assert {r.headers["Content-Type"] for r in seen} == {"application/json; x-api-version=1.0"}


def test_refusals_and_outages_are_told_apart():
    http, _seen = _stand_in(
        {
            ("POST", "/back-api/backoffice/transfers/deposit"): (400, {"error": {"code": "invalid"}}),
            ("GET", "/back-api/backoffice/transfers/1"): (503, None),
        }
    )
    platform = Rest001Platform(_adapter(), http=http)

    with pytest.raises(PlatformError) as refused:
        platform.deposit("L1", amount=D("1"), currency="USD", deduplication_id="x")
    with pytest.raises(PlatformUnavailable):
        platform.transfer("1")

    assert not isinstance(refused.value, PlatformUnavailable)
    assert (refused.value.status, refused.value.body) == (400, {"error": {"code": "invalid"}})


def test_trader_calls_carry_the_account_and_the_traders_token():
    http, seen = _stand_in(
        {("POST", "/frontoffice/api/cfd/v4/orders"): (200, {"order": {"orderId": "5", "status": "Filled"}})}
    )
    platform = Rest001Platform(_adapter(trader_tokens={"L1": "trader-jwt"}), http=http)

    placed = platform.place_order(
        TraderSession("L1"), OrderRequest(symbol="EURUSD", side="sell", lots=D("0.10"), stop_loss=D("1.2"))
    )

    assert placed.order_id == "5"
    assert (seen[0].headers["accountId"], seen[0].headers["Authorization"]) == ("L1", "Bearer trader-jwt")
    assert json.loads(seen[0].content) == {
        "order": {
            "marketId": "EURUSD", "orderType": "Market", "side": "Sell", "requestedPrice": None,
            "requestedLotAmount": "0.10", "timeInForce": "Gtc", "stopLoss": {"price": "1.2", "isTrailing": False},
        }
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_session_end_to_end_against_our_own_001_endpoints(live_server):
    from crm.users import security

    restore_migration_rows()
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    group = AccountGroupFactory(currency=CurrencyFactory(code="USD"), leverages=[100], default_leverage=100)
    customer = PortalCustomerFactory()
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.FINANCE)))
    second = ApiTokenFactory(role=Group.objects.get(name=str(Role.FINANCE)))  # four eyes on our server
    adapter = _adapter(live_server.url, token=token.raw_key, confirm_token=second.raw_key)
    adapter.save()
    GroupTradingSettingsFactory(group=group, adapter=adapter)
    platform = Rest001Platform(adapter)

    account_id = platform.open_account(user_id=str(customer.pk), name="Main", group_id=str(group.pk))
    deposit = platform.deposit(account_id, amount=D("10000.00"), currency="USD", deduplication_id="dep-1")
    replayed = platform.deposit(account_id, amount=D("10000.00"), currency="USD", deduplication_id="dep-1")
    session = TraderSession(account_id, token=security.issue_tokens(customer.user)["access"])
    placed = platform.place_order(session, OrderRequest(symbol="EURUSD", side="buy", lots=D("0.10")))
    [opening] = platform.order_deals(session, placed.order_id)
    order = platform.order(session, placed.order_id)
    quote(eurusd, "1.10100", "1.10120")
    platform.close_position(session, opening.position_id, lots=D("0.10"))
    deals = platform.position_deals(session, opening.position_id)
    withdrawal = platform.withdraw(account_id, amount=D("500.00"), currency="USD", deduplication_id="wd-1")
    platform.confirm_withdrawal(account_id, transfer_id=withdrawal.transfer_id)
    cancelled = platform.withdraw(account_id, amount=D("300.00"), currency="USD", deduplication_id="wd-2")
    platform.cancel_withdrawal(account_id, transfer_id=cancelled.transfer_id)
    opened = platform.account(user_id=str(customer.pk), account_id=account_id)

    account = Wallet.objects.get(number=account_id)
    assert isinstance(platform_for(account), Rest001Platform)
    assert (account.customer, account.group, account.caption) == (customer, group, "Main")
    assert (deposit.status, replayed.transfer_id) == ("Completed", deposit.transfer_id)
    assert placed.status == "filled"
    assert (order.symbol, order.side, order.order_type, order.status, order.lots, order.fill_price) == (
        "EURUSD", "buy", "market", "filled", D("0.1"), D("1.1002"),
    )  # fmt: skip
    assert [(d.entry, d.side, d.lots, d.price) for d in deals] == [
        ("in", "buy", D("0.1"), D("1.1002")),
        ("out", "sell", D("0.1"), D("1.101")),
    ]
    assert (withdrawal.status, platform.transfer(withdrawal.transfer_id).status) == ("Pending", "Completed")
    assert platform.transfer(cancelled.transfer_id).status == "Cancelled"
    # 10000 in, +8.00 on 0.10 lots x 100000 x 0.0008, 500 out, 300 held and given back
    assert (opened.balances[0].total, opened.balances[0].locked) == (D("9508.00"), D("0"))

    adapter.set_secrets({"token": token.raw_key, "trader_tokens": {account_id: session.token}})
    adapter.save()
    first = services.sync_platform(adapter)
    again = services.sync_platform(adapter)

    synced = Deal.objects.filter(adapter=adapter).order_by("created_at", "entry")
    assert (first.stored, again.stored) == (2, 0)
    assert [(d.entry, d.lots, d.price, d.profit) for d in synced] == [
        ("in", D("0.1"), D("1.1002"), D(0)),
        ("out", D("0.1"), D("1.101"), D("8.00")),
    ]
    position = Position.objects.get(adapter=adapter)
    assert (position.status, position.external_id, position.profit) == ("closed", opening.position_id, D("8.00"))


@pytest.mark.django_db(transaction=True)
def test_deals_are_read_page_by_page_from_our_own_001_endpoints(live_server, monkeypatch):
    from crm.trading.platforms import rest001
    from crm.users import security

    restore_migration_rows()
    eurusd = InstrumentFactory(symbol="EURUSD")
    quote(eurusd, "1.10000", "1.10020")
    group = AccountGroupFactory(currency=CurrencyFactory(code="USD"), leverages=[100], default_leverage=100)
    customer = PortalCustomerFactory()
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.FINANCE)))
    adapter = _adapter(live_server.url, token=token.raw_key)
    adapter.save()
    GroupTradingSettingsFactory(group=group, adapter=adapter)
    platform = Rest001Platform(adapter)
    account_id = platform.open_account(user_id=str(customer.pk), name="Main", group_id=str(group.pk))
    platform.deposit(account_id, amount=D("10000.00"), currency="USD", deduplication_id="dep-1")
    session = TraderSession(account_id, token=security.issue_tokens(customer.user)["access"])
    placed = [platform.place_order(session, OrderRequest(symbol="EURUSD", side="buy", lots=D("0.10"))) for _ in "abc"]
    positions = [platform.order_deals(session, order.order_id)[0].position_id for order in placed]
    quote(eurusd, "1.10100", "1.10120")
    platform.close_position(session, positions[0], lots=D("0.04"))
    for position_id in positions:
        platform.close_position(session, position_id, lots=D("0.10") if position_id != positions[0] else D("0.06"))
    whole = platform.deals(session, since=None)
    whole_position = platform.position_deals(session, positions[0])
    sent: list[httpx.Request] = []
    recording = httpx.Client(base_url=live_server.url, event_hooks={"request": [sent.append]})
    monkeypatch.setattr(rest001, "PAGE", 2)
    monkeypatch.setattr(rest001, "EXECUTIONS_LIMIT", 1)

    paged = Rest001Platform(adapter, http=recording).deals(session, since=None)
    paged_position = Rest001Platform(adapter, http=recording).position_deals(session, positions[0])

    assert paged == whole
    assert [(d.entry, d.lots) for d in whole.deals] == [
        ("in", D("0.1")), ("in", D("0.1")), ("in", D("0.1")),
        ("out", D("0.04")), ("out", D("0.06")), ("out", D("0.1")), ("out", D("0.1")),
    ]  # fmt: skip
    assert paged_position == whole_position
    assert [(d.entry, d.lots) for d in paged_position] == [("in", D("0.1")), ("out", D("0.04")), ("out", D("0.06"))]
    calls = [(r.url.path.removeprefix("/frontoffice/api/v4/"), json.loads(r.content)) for r in sent if r.content]
    # Pages of 2, newest first: the orders' second page starts after the second newest; the four closes take two
    # pages; the fills of the first two orders exceed a limit of 1, so theirs are read order by order.
    _first, second, third = (order.order_id for order in placed)
    assert [body["lastOrderId"] for path, body in calls if path == "order-list"] == [None, second]
    closes = [body["lastOrderId"] for path, body in calls if path == "orders/closed-positions"]
    assert len(closes) == 2
    assert closes[0] is None
    assert closes[1] is not None
    per_order = [path.split("/")[1] for path, _body in calls if path.startswith("orders/") and path.count("/") == 3]
    assert per_order == [third, second]
    assert [body["offset"] for path, body in calls if path == f"positions/{positions[0]}/executions/list"] == [0, 2]
