"""A scripted trading session over the 001 API leaves the ledger consistent (verify_ledger) and the money right."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from crm.trading import services
from crm.trading.models import Deal, GroupTradingSettings, Order, Position
from tests.trading.compat_helpers import make_trader
from tests.users.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

V4 = "/frontoffice/api/v4/"
CFD = "/frontoffice/api/cfd/v4/"


def order(**fields):
    return {"order": {"marketId": "EURUSD", "side": "Buy", "requestedLotAmount": "0.10", **fields}}


def test_a_trading_session_over_http(capsys):
    trader = make_trader()
    trader.client.credentials()  # no token yet: the session logs in as the front end does
    assert trader.client.get("/frontoffice/api/v3/accounts").status_code == 401
    logged_in = trader.client.post(
        "/api/v1/portal/auth/log-in/", {"email": trader.customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert logged_in.status_code == 200, logged_in.json()
    trader.client.credentials(HTTP_AUTHORIZATION=f"Bearer {logged_in.json()['access']}")
    GroupTradingSettings.objects.filter(group=trader.account.group).update(commission_per_lot=D("5"))
    account_id = trader.client.get("/frontoffice/api/v3/accounts").json()[0]["accountId"]
    assert account_id == trader.account.number

    market = trader.post(CFD + "orders", order(orderType="Market", timeInForce="Ioc"))
    limit = trader.post(CFD + "orders", order(orderType="Limit", requestedPrice="1.09900", timeInForce="Gtc"))
    stop = trader.post(CFD + "stop-orders", order(orderType="Stop", side="Sell", activationPrice="1.09500"))
    assert [r.json()["order"]["status"] for r in (market, limit, stop)] == [
        "Filled",
        "Started",
        "WaitingForActivation",
    ]

    first = Order.objects.get(pk=market.json()["order"]["orderId"]).position
    triggers = trader.client.put(f"{V4}positions/{first.pk}/triggers", {"takeProfit": {"price": "1.10300"}},
                                 format="json", **trader.headers())  # fmt: skip
    assert triggers.status_code == 200

    services.process_quote(trader.eurusd, bid=D("1.09880"), ask=D("1.09890"))  # the limit buy fills at 1.09890
    services.process_quote(trader.eurusd, bid=D("1.09450"), ask=D("1.09460"))  # the sell stop fills at 1.09450
    assert trader.post(V4 + "order-list", {"orderStatus": ["Filled"]}).json()["data"].__len__() == 3

    second = Order.objects.get(pk=limit.json()["order"]["orderId"]).position
    half = trader.post(f"{V4}positions/{second.pk}/close/calculation", {"closePositionLotAmountInPercent": "50"})
    assert trader.post(f"{V4}positions/{second.pk}/close", half.json()).status_code == 200

    services.process_quote(trader.eurusd, bid=D("1.10300"), ask=D("1.10310"))  # the take profit of the first

    first.refresh_from_db()
    assert (first.status, first.close_reason) == ("closed", "take_profit")
    closed = trader.post(V4 + "orders/closed-positions", {}).json()["data"]
    assert [(row["positionId"], row["reason"]) for row in closed] == [
        (str(first.pk), "TakeProfit"), (str(second.pk), "Trader")
    ]  # fmt: skip
    executions = trader.post(V4 + "positions/executions/list", {"positionIds": [str(first.pk), str(second.pk)],
                                                                "limit": 10}).json()["executions"]  # fmt: skip
    assert len(executions) == 4
    order_ids = [str(o.pk) for o in Order.objects.filter(account=trader.account).order_by("pk")]
    fills = trader.post(V4 + "orders/executions/list", {"orderIds": order_ids, "limit": 10}).json()
    # The three orders' fills (closes are the positions' deals, not orders').
    assert {row["orderId"] for row in fills["executions"]} == set(order_ids)
    assert fills["isExceeded"] is False

    trader.account.refresh_from_db()
    deals = Deal.objects.filter(account=trader.account)
    profit = sum((deal.profit for deal in deals), D(0))
    commission = sum((deal.commission for deal in deals), D(0))
    assert trader.account.balance == D("10000.00") + profit - commission
    assert profit == D("28.00") + D("-22.00")  # TP: 0.1 lot x +28 pips; half of the limit buy: 0.05 lot x -44 pips
    assert Position.objects.filter(account=trader.account, status="open").count() == 2
    call_command("verify_ledger")
    assert "sound" in capsys.readouterr().out
