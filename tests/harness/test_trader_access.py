"""Issue 14, the access sweep of seed 001's trader API: every route of the `trader-compat` namespace, read from
the URL configuration, tried with another client's account in the `accountId` header and with the caller's own
account but another client's order, position, stop order, alert, notification or layout.

The object matrix (`test_access_matrix.py`) walks object routes under `/api/` only; these paths are the seed's
own (`/frontoffice/api/...`, `/marketdata/api/...`, `/notification/api/...`) and most of them name their object
in a header or in the body, not in the path. Each case must answer 404 (400 where the schema documents it) and
leave the database and the mail outbox as they were. A new trader route is swept by itself: the header cases
follow its schema (and a request without the header shows it is needed), the object cases its path kwargs and
body fields; an unknown kwarg or id field fails with instructions. The controls show the sweep is not vacuous:
the owner reaches every route with the same body and ids, and broken account scoping is reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from rest_framework.test import APIClient

from crm.trading import services
from crm.trading.models import Instrument, Order, Position, PriceAlert, TraderNotification
from crm.wallets.models import Wallet
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.harness import bodies
from tests.harness.routes import Route, program_routes
from tests.harness.snapshot import changed, snapshot
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

NAMESPACE = "trader-compat"
TRADER = [route for route in program_routes() if route.namespace == NAMESPACE]
REFUSED = {404}
# Path kwargs that name a market or an asset: the same for every client, nothing to scope.
SHARED_KWARGS = {"marketSymbol", "marketId", "assetId"}
# Path kwargs and body fields that name a client's object, and which object of a side they take.
OBJECT_KWARGS: dict[str, Callable[[Side], Any]] = {
    "orderId": lambda side: side.order.pk,
    "positionId": lambda side: side.position.pk,
    "stopOrderId": lambda side: side.stop_order.pk,
    "id": lambda side: side.layout_id,
}
OBJECT_FIELDS: dict[str, Callable[[Side], Any]] = {
    "orderIds": lambda side: [str(side.order.pk)],
    "positionIds": lambda side: [str(side.position.pk)],
    "ids": lambda side: [str(side.alert.pk if "marketPrice" in side.path else side.notification.pk)],
    "layoutOrder": lambda side: [side.layout_id],
    "selectedLayoutId": lambda side: side.layout_id,
}
# Answers other than 404 the schema documents for another client's object named in the body.
DOCUMENTED = {
    # A filter: the foreign ids match none of the account's fills (checked: the answer does not show them).
    "trader-compat:v4-orders-executions POST": {200},
    "trader-compat:v4-positions-executions POST": {200},
    # "`layoutOrder` names each of the client's layouts once": another list is invalid input.
    "trader-compat:v3-ui-layout-order PUT": {400},
    # "a selected layout must be one of the client's": another's is invalid input.
    "trader-compat:v3-ui-settings PATCH": {400},
}
# Refusals the owner gets by design, after the account check (the account's currency cannot be dropped).
OWNER_DOCUMENTED = {"trader-compat:v4-margin-asset DELETE": 400}
# Bodies the schema's required fields alone do not make acceptable (a market that exists, an amount the
# account can afford, a part of the position), so that the owner's control really reaches the write.
PERPETUAL = "BTCUSD"


def _order(symbol: str, **extra: str) -> dict[str, Any]:
    return {"order": {"marketId": symbol, "orderType": "Market", "side": "Buy", "timeInForce": "Ioc", **extra}}


LOTS = {"requestedLotAmount": "0.01"}
BODIES: dict[str, dict[str, Any]] = {
    "v4-cfd-order-data": _order("EURUSD", **LOTS),
    "v4-cfd-orders": _order("EURUSD", **LOTS),
    "v4-cfd-stop-orders": _order("EURUSD", activationPrice="1.2", **{**LOTS, "timeInForce": "Gtc"}),
    "v4-perpetual-order-data": _order(PERPETUAL, **LOTS),
    "v4-perpetual-orders": _order(PERPETUAL, **LOTS),
    "v4-perpetual-stop-orders": _order(PERPETUAL, activationPrice="70000", **{**LOTS, "timeInForce": "Gtc"}),
    "v3-order-data": _order("EURUSD", requestedBaseAmount="1000", timeInForce="Gtc"),
    "v3-orders": _order("EURUSD", requestedAmount="1000", timeInForce="Gtc"),
    "v3-stop-orders": _order("EURUSD", requestedAmount="1000", activationPrice="1.2", timeInForce="Gtc"),
    "v4-close": {"closePositionLotAmount": "0.05"},
    "v4-close-calculation": {"closePositionLotAmountInPercent": "50"},
    "v4-triggers": {"takeProfit": {"price": "1.12"}, "stopLoss": {"price": "1.09"}},
    "v4-trigger-data": {"takeProfit": {"triggerType": "Percent", "triggerSize": "1"}},
    "v3-price-alerts": {"marketId": "EURUSD", "price": "1.2", "condition": "Gte"},
    "v3-ui-layout": {"tabs": []},
}


@dataclass
class Side:
    """A client with a funded trading account holding one of each object the trader API names."""

    customer: Any
    account: Wallet
    client: APIClient
    position: Position
    order: Order
    stop_order: Order
    alert: PriceAlert
    notification: TraderNotification
    layout_id: str
    path: str = ""


def _markets() -> None:
    quote(InstrumentFactory(symbol="EURUSD"), "1.10000", "1.10020")
    btc = InstrumentFactory(
        symbol=PERPETUAL,
        market_type=Instrument.MarketType.PERPETUAL,
        contract_size=Decimal(1),
        digits=2,
        tick_size=Decimal("0.01"),
        margin_calc_mode=2,
        profit_calc_mode=2,
    )
    quote(btc, "64000.00", "64010.00")


def _side(layout_id: str) -> Side:
    eurusd = Instrument.objects.get(symbol="EURUSD")
    customer = PortalCustomerFactory()
    account = fund(TradingAccountFactory(customer=customer), "10000")
    services.place_order(account, instrument=eurusd, side="buy", lots=Decimal("0.10"))
    limit = services.place_order(
        account, instrument=eurusd, side="buy", lots=Decimal("0.10"), order_type="limit", price=Decimal("1.05")
    )
    stop = services.place_order(
        account, instrument=eurusd, side="buy", lots=Decimal("0.10"), order_type="stop", price=Decimal("1.2")
    )
    alert = services.create_price_alert(account, instrument=eurusd, price=Decimal("1.2"), condition="Gte")
    note = services.notify(account, type="MarginCall", key=f"sweep-{account.pk}", data={"marginLevel": "90"})
    assert note is not None
    services.create_layout(customer, layout_id=layout_id, name="Sweep", tabs=[])
    client = APIClient()
    bearer(client, customer)
    return Side(
        customer=customer,
        account=account,
        client=client,
        position=account.positions.get(),
        order=limit,
        stop_order=stop,
        alert=alert,
        notification=note,
        layout_id=layout_id,
    )


def world() -> tuple[Side, Side]:
    """(victim, caller): two clients, each with its own account and objects."""
    _markets()
    return _side("victims"), _side("callers")


def _header_declared(route: Route) -> bool:
    operation = bodies.operation(route.path, route.method) or {}
    return any(p["in"] == "header" and p["name"] == "accountId" for p in operation.get("parameters", []))


def _body_fields(route: Route) -> set[str]:
    operation = bodies.operation(route.path, route.method) or {}
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return set(bodies._resolve(schema).get("properties", {})) if schema else set()


def _object_fields(route: Route) -> list[str]:
    return [name for name in _body_fields(route) if name in OBJECT_FIELDS]


def _object_kwargs(route: Route) -> list[str]:
    return [name for name in route.kwargs if name in OBJECT_KWARGS]


ACCOUNT_ROUTES = [route for route in TRADER if _header_declared(route)]
OBJECT_ROUTES = [route for route in TRADER if _object_kwargs(route) or _object_fields(route)]


def _request(route: Route, client: APIClient, account: Wallet | None, objects: Side) -> Any:
    """Send the route as `client`, with `account` in the header and the ids of `objects`' rows."""
    objects.path = route.path
    kwargs = {name: OBJECT_KWARGS[name](objects) if name in OBJECT_KWARGS else "EURUSD" for name in route.kwargs}
    if route.name == "v4-margin-asset":
        kwargs["assetId"] = "USD"
    if route.name == "marketdata-history":
        kwargs["marketSymbol"] = "EURUSD"
    url = route.url(kwargs)
    headers = {"HTTP_ACCOUNTID": account.number} if account is not None else {}
    if route.method == "GET":
        return client.get(url, bodies.query(route.path, route.method), **headers)
    body, _ = bodies.request_body(route.path, route.method)
    body = {**(body or {}), **BODIES.get(route.name, {})}
    body.update({name: OBJECT_FIELDS[name](objects) for name in _object_fields(route)})
    return getattr(client, route.method.lower())(url, body, format="json", **headers)


@dataclass
class Result:
    status: int
    content: bytes
    changed: list[str]
    mails: int


def attempt(route: Route, client: APIClient, account: Wallet | None, objects: Side) -> Result:
    before, mails = snapshot(), len(mail.outbox)
    with transaction.atomic():
        response = _request(route, client, account, objects)
    return Result(response.status_code, response.content, changed(before, snapshot()), len(mail.outbox) - mails)


def _problems(route: Route, result: Result, allowed: set[int], foreign_ids: list[str]) -> list[str]:
    problems = []
    if result.status not in allowed:
        problems.append(f"{route.id} answered {result.status}: {result.content[:300]!r}")
    if result.status == 200 and any(f'"{value}"' in result.content.decode() for value in foreign_ids):
        problems.append(f"{route.id} showed another client's object: {result.content[:300]!r}")
    if result.changed:
        problems.append(f"{route.id} wrote to {', '.join(result.changed)}")
    if result.mails:
        problems.append(f"{route.id} sent {result.mails} email(s)")
    return problems


def _victim_ids(victim: Side, route: Route) -> list[str]:
    victim.path = route.path
    ids = [str(OBJECT_KWARGS[name](victim)) for name in _object_kwargs(route)]
    return ids + [value for name in _object_fields(route) for value in OBJECT_FIELDS[name](victim)]


@pytest.mark.django_db
@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=[route.id for route in ACCOUNT_ROUTES])
def test_another_clients_account_in_the_header_is_a_404(route):
    victim, caller = world()

    result = attempt(route, caller.client, victim.account, victim)

    assert _problems(route, result, REFUSED, []) == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[route.id for route in OBJECT_ROUTES])
def test_another_clients_object_with_the_callers_own_account_is_refused(route):
    victim, caller = world()

    result = attempt(route, caller.client, caller.account, victim)

    assert _problems(route, result, REFUSED | DOCUMENTED.get(route.id, set()), _victim_ids(victim, route)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", TRADER, ids=[route.id for route in TRADER])
def test_the_owner_reaches_the_route(route):
    """The control: the same request by the objects' owner, with their own account, is served."""
    victim, _ = world()

    result = attempt(route, victim.client, victim.account, victim)

    assert 200 <= result.status < 300 or result.status == OWNER_DOCUMENTED.get(route.id), result.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("route", TRADER, ids=[route.id for route in TRADER])
def test_the_header_is_needed_exactly_where_the_schema_requires_it(route):
    """A request without `accountId` is a 400 naming it on every route whose schema requires the header."""
    victim, _ = world()
    operation = bodies.operation(route.path, route.method) or {}
    required = any(
        p["in"] == "header" and p["name"] == "accountId" and p.get("required") for p in operation.get("parameters", [])
    )

    response = _request(route, victim.client, None, victim)

    needed = response.status_code == 400 and "accountId" in json.loads(response.content or b"{}").get("error", {}).get(
        "fields", {}
    )
    assert needed == required, (response.status_code, response.content[:300])


def test_the_sweep_covers_every_trader_route_and_knows_every_id():
    unknown = {name for route in TRADER for name in route.kwargs} - SHARED_KWARGS - set(OBJECT_KWARGS)
    id_fields = {
        name
        for route in TRADER
        for name in _body_fields(route)
        if (name in {"id", "ids"} or name.endswith(("Id", "Ids", "Order"))) and name not in OBJECT_FIELDS
    }

    assert len(TRADER) >= 50
    assert {route.id for route in ACCOUNT_ROUTES} >= {"trader-compat:v4-cfd-orders POST", "trader-compat:v3-order GET"}
    assert unknown == set(), "name the object each new path kwarg takes in OBJECT_KWARGS (or SHARED_KWARGS)"
    # Fields naming a market, a page position or a client-chosen new id are not another client's object.
    assert id_fields <= {"marketId", "marketIds", "lastOrderId", "lastExecutionId", "lastId", "id"}, id_fields


@pytest.mark.django_db
def test_the_sweep_reports_a_leak_when_the_account_check_is_broken(monkeypatch):
    from crm.trading.compat import common

    def any_account(request):
        return Wallet.objects.select_related("currency").get(number=request.headers["accountId"])

    for module in ("v3", "v4", "notifications"):
        monkeypatch.setattr(f"crm.trading.compat.{module}.trading_account", any_account)
    monkeypatch.setattr(common, "trading_account", any_account)
    victim, caller = world()
    routes = {route.id: route for route in TRADER}

    placed = attempt(routes["trader-compat:v4-cfd-orders POST"], caller.client, victim.account, victim)
    read = attempt(routes["trader-compat:v3-order GET"], caller.client, victim.account, victim)

    assert placed.status == 200
    assert "trading.order" in placed.changed
    assert read.status == 200
    assert _problems(routes["trader-compat:v3-order GET"], read, REFUSED, []) != []
