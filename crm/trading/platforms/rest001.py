"""A client of seed 001's platform API (001_e14eb7e540426e65.txt): a broker running that platform plugs it in.

Back-office calls (accounts, transfers) go to `/back-api/backoffice/...` with the adapter's token; trader calls
(orders, positions, executions) to `/frontoffice/api/...` with the account in the `accountId` header and the
trader's token: the session's, else `trader_tokens[accountId]` or `trader_token` from the adapter's secrets, else
the back-office token (a platform JWT holding the `trading-ui` operation). Amounts and prices travel as decimal
strings and are read back as Decimal, never float.

Configuration: `base_url` (required), `timeout` (seconds, default 10), `timezone` (the server's, default UTC),
`callback_url` (sent with transfers). Secrets: `token`, optionally `trader_token`, `trader_tokens` and
`confirm_token` (confirms withdrawals: a platform that keeps four eyes, as ours does, refuses the token that
started a withdrawal to confirm it).

Where the seed is silent we use the enum values our own server documents (`Buy`/`Sell`, `Market`/`Limit`/`Stop`,
`Gtc`). Reading an account's deals: orders created since the cursor (`order-list`, keyset `lastOrderId`) and
their fills (`orders/executions/list`) are the "in" deals; closes since the cursor (`orders/closed-positions`)
are the "out" deals, with their realised profit. An execution carries the base amount, which the market's
`lotSize` turns into lots.

Every list is read to its end with the seed's own paging: `order-list` and `closed-positions` by `lastOrderId`
(the latter until `isExceeded` is false), one order's fills by `lastExecutionId` (while `isExceeded`), one
position's fills by `offset`; fills of several orders come in one call of EXECUTIONS_LIMIT, and when that call
says `isExceeded` those orders' fills are read again order by order, so no fill is dropped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx

from crm.trading.models import PlatformAdapter
from crm.trading.platforms.base import (
    Balance,
    DealPage,
    OrderRequest,
    PlacedOrder,
    PlatformAccount,
    PlatformDeal,
    PlatformError,
    PlatformOrder,
    PlatformUnavailable,
    TraderSession,
    Transfer,
)

BACK = "/back-api/backoffice"
FRONT = "/frontoffice/api"
V1 = "application/json; x-api-version=1.0"
V2 = "application/json; x-api-version=2.0"
V4 = "application/json; x-api-version=4.0"
SIDES = {"buy": "Buy", "sell": "Sell"}
ORDER_TYPES = {"market": "Market", "limit": "Limit", "stop": "Stop"}
# 001 order statuses -> ours (the set our own server documents: crm/trading/compat/enums.py).
STATUSES = {
    "Started": "pending", "WaitingForActivation": "pending", "Filled": "filled", "Cancelled": "cancelled",
    "Rejected": "rejected", "Expired": "expired",
}  # fmt: skip
PAGE = 100
EXECUTIONS_LIMIT = 1000  # fills of several orders in one call (the seed's `limit`; our server's cap)


def _text(value: Decimal | None) -> str | None:
    """A Decimal as the seed's decimal text, in plain notation."""
    return None if value is None else format(value, "f")


def _number(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _time(value: str) -> dt.datetime:
    """An ISO 8601 time as the platform wrote it: aware with its offset, or naive (then: the server's zone)."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _status(value: str) -> str:
    if value not in STATUSES:
        raise PlatformError(f"Unknown order status {value!r}.")
    return STATUSES[value]


def _transfer(body: dict[str, Any]) -> Transfer:
    return Transfer(
        transfer_id=str(body["transferId"]),
        deduplication_id=body.get("deduplicationId") or "",
        currency=body["assetId"],
        kind=body["type"],
        status=body["status"],
        amount=_number(body["amount"]),
    )


class Rest001Platform:
    """The 001 REST client. `http` may be given (tests pass one on a mock transport); otherwise one is built."""

    def __init__(self, adapter: PlatformAdapter, *, http: httpx.Client | None = None) -> None:
        config = adapter.configuration
        self.adapter = adapter
        self.secrets = adapter.secrets()
        self.callback_url = str(config.get("callback_url", ""))
        self.http = http or httpx.Client(
            base_url=str(config["base_url"]).rstrip("/"), timeout=float(config.get("timeout", 10))
        )
        self._lot_sizes: dict[str, Decimal] = {}

    # Transport --------------------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, body: Any = None, token: str, content_type: str = V1, account: str = ""
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
        if account:
            headers["accountId"] = account
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.http.request(method, path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise PlatformUnavailable(f"{method} {path}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformUnavailable(f"{method} {path}: HTTP {response.status_code}", status=response.status_code)
        if response.status_code >= 400:
            try:
                detail: Any = response.json()
            except ValueError:
                detail = response.text
            raise PlatformError(
                f"{method} {path}: HTTP {response.status_code}", status=response.status_code, body=detail
            )
        return response.json() if response.content else None

    def _back(self, method: str, path: str, body: Any = None, *, content_type: str = V1, token: str = "") -> Any:
        token = token or self.secrets.get("token", "")
        return self._call(method, BACK + path, body=body, token=token, content_type=content_type)

    def _trader_token(self, session: TraderSession) -> str:
        tokens = self.secrets.get("trader_tokens") or {}
        return str(
            session.token
            or tokens.get(session.account_id)
            or self.secrets.get("trader_token")
            or self.secrets.get("token", "")
        )

    def _front(self, session: TraderSession, method: str, path: str, body: Any = None) -> Any:
        return self._call(
            method, FRONT + path, body=body, token=self._trader_token(session), content_type=V4,
            account=session.account_id,
        )  # fmt: skip

    # Accounts and money -----------------------------------------------------------------------------------------

    def open_account(self, *, user_id: str, name: str, group_id: str, account_type: str = "Hedging") -> str:
        body = {"accountName": name, "accountGroupId": group_id, "accountType": account_type}
        return str(self._back("POST", f"/v2/users/{user_id}/accounts", body, content_type=V2)["accountId"])

    def account(self, *, user_id: str, account_id: str) -> PlatformAccount:
        body = self._back("GET", f"/v2/users/{user_id}/accounts/{account_id}")
        balances = tuple(
            Balance(currency=b["assetId"], total=_number(b["total"]), locked=_number(b["locked"]))
            for b in body.get("balances") or []
        )
        return PlatformAccount(
            account_id=str(body["accountId"]),
            name=body.get("accountName") or "",
            account_type=body.get("accountType") or "",
            balances=balances,
        )

    def _move(self, path: str, account_id: str, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        body = {
            "deduplicationId": deduplication_id,
            "accountId": account_id,
            "amount": _text(amount),
            "assetId": currency,
            "callbackUrl": self.callback_url,
        }
        return _transfer(self._back("POST", path, body))

    def deposit(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        return self._move("/transfers/deposit", account_id, amount, currency, deduplication_id)

    def withdraw(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        return self._move("/transfers/withdrawal", account_id, amount, currency, deduplication_id)

    def confirm_withdrawal(self, account_id: str, *, transfer_id: str) -> None:
        body = {"accountId": account_id, "transferId": transfer_id, "callbackUrl": self.callback_url}
        self._back("POST", "/transfers/withdrawal-confirm", body, token=self.secrets.get("confirm_token", ""))

    def cancel_withdrawal(self, account_id: str, *, transfer_id: str) -> None:
        body = {"accountId": account_id, "transferId": transfer_id, "callbackUrl": self.callback_url}
        self._back("POST", "/transfers/withdrawal-cancel", body)

    def transfer(self, transfer_id: str) -> Transfer:
        return _transfer(self._back("GET", f"/transfers/{transfer_id}"))

    # Trading ----------------------------------------------------------------------------------------------------

    def place_order(self, session: TraderSession, order: OrderRequest) -> PlacedOrder:
        body: dict[str, Any] = {
            "marketId": order.symbol,
            "orderType": ORDER_TYPES[order.order_type],
            "side": SIDES[order.side],
            "requestedPrice": _text(order.price),
            "requestedLotAmount": _text(order.lots),
            "timeInForce": "Gtc",
        }
        if order.take_profit is not None:
            body["takeProfit"] = {"price": _text(order.take_profit)}
        if order.stop_loss is not None:
            body["stopLoss"] = {"price": _text(order.stop_loss), "isTrailing": False}
        placed = self._front(session, "POST", "/cfd/v4/orders", {"order": body})["order"]
        return PlacedOrder(order_id=str(placed["orderId"]), status=_status(placed["status"]))

    def close_position(self, session: TraderSession, position_id: str, *, lots: Decimal) -> None:
        self._front(session, "POST", f"/v4/positions/{position_id}/close", {"closePositionLotAmount": _text(lots)})

    def _lot_size(self, session: TraderSession, symbol: str) -> Decimal:
        if symbol not in self._lot_sizes:
            self._lot_sizes[symbol] = _number(self._front(session, "GET", f"/v4/markets/{symbol}")["lotSize"])
        return self._lot_sizes[symbol]

    def _fill(self, session: TraderSession, row: dict[str, Any], symbol: str) -> PlatformDeal:
        return PlatformDeal(
            deal_id=str(row["executionId"]),
            account_id=session.account_id,
            symbol=symbol,
            position_id=str(row["positionId"]),
            order_id=str(row.get("orderId") or ""),
            side=row["side"].lower(),
            entry="in",
            lots=_number(row["baseAmount"]) / self._lot_size(session, symbol),
            price=_number(row["executionPrice"]),
            time=_time(row["createdAt"]),
            profit=_number(row.get("realizedPnlInRAT")),
            commission=_number(row.get("commissionAmountInRAT")),
        )

    def order(self, session: TraderSession, order_id: str) -> PlatformOrder:
        row = self._front(session, "GET", f"/v4/orders/{order_id}")["order"]
        return PlatformOrder(
            order_id=str(row["orderId"]),
            symbol=row["marketId"],
            side=row["side"].lower(),
            order_type=row["orderType"].lower(),
            status=_status(row["status"]),
            lots=_number(row["requestedAmount"]),
            price=_number(row["requestedPrice"]) if row.get("requestedPrice") else None,
            fill_price=_number(row["executionPrice"]) if row.get("executionPrice") else None,
        )

    def _order_fills(self, session: TraderSession, order_id: str) -> list[dict[str, Any]]:
        """Every fill of one order, page by page (`lastExecutionId`)."""
        rows: list[dict[str, Any]] = []
        last: str | None = None
        while True:
            body = {"limit": PAGE, "lastExecutionId": last}
            answer = self._front(session, "POST", f"/v4/orders/{order_id}/executions/list", body)
            rows += answer["executions"]
            if not answer.get("isExceeded") or not answer["executions"]:
                return rows
            last = str(answer["executions"][-1]["executionId"])

    def _orders_fills(self, session: TraderSession, order_ids: list[str]) -> list[dict[str, Any]]:
        """Every fill of the orders: EXECUTIONS_LIMIT per call of PAGE orders, order by order when that is exceeded."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(order_ids), PAGE):
            chunk = order_ids[start : start + PAGE]
            body = {"orderIds": chunk, "limit": EXECUTIONS_LIMIT}
            answer = self._front(session, "POST", "/v4/orders/executions/list", body)
            if answer.get("isExceeded"):
                rows += [row for order_id in chunk for row in self._order_fills(session, order_id)]
            else:
                rows += answer["executions"]
        return rows

    def _position_fills(self, session: TraderSession, position_id: str) -> list[dict[str, Any]]:
        """Every fill of one position, page by page (`offset`: the seed gives this list no `isExceeded`)."""
        rows: list[dict[str, Any]] = []
        while True:
            body = {"limit": PAGE, "offset": len(rows)}
            page = self._front(session, "POST", f"/v4/positions/{position_id}/executions/list", body)["executions"]
            rows += page
            if len(page) < PAGE:
                return rows

    def order_deals(self, session: TraderSession, order_id: str) -> list[PlatformDeal]:
        symbol = self.order(session, order_id).symbol
        rows = self._order_fills(session, order_id)
        return sorted((self._fill(session, row, symbol) for row in rows), key=lambda d: d.time)

    def position_deals(self, session: TraderSession, position_id: str) -> list[PlatformDeal]:
        """The position's fills, oldest first: the first opens it ("in"), those on the other side close it."""
        rows = sorted(self._position_fills(session, position_id), key=lambda row: _time(row["createdAt"]))
        if not rows:
            return []
        symbol = self.order(session, str(rows[0]["orderId"])).symbol
        deals = [self._fill(session, row, symbol) for row in rows]
        opening = deals[0].side
        return [d if d.side == opening else _as_out(d) for d in deals]

    def _orders_since(self, session: TraderSession, since: dt.datetime | None) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        last: str | None = None
        while True:
            body = {"limit": PAGE, "createdAtFrom": since.isoformat() if since else None, "lastOrderId": last}
            page = self._front(session, "POST", "/v4/order-list", body)["data"]
            orders += page
            if len(page) < PAGE:
                return orders
            last = str(page[-1]["orderId"])

    def _closes_since(self, session: TraderSession, since: dt.datetime | None) -> list[dict[str, Any]]:
        closes: list[dict[str, Any]] = []
        last: str | None = None
        while True:
            body = {"limit": PAGE, "createdAtFrom": since.isoformat() if since else None, "lastOrderId": last}
            answer = self._front(session, "POST", "/v4/orders/closed-positions", body)
            closes += answer["data"]
            if not answer.get("isExceeded") or not answer["data"]:
                return closes
            last = str(answer["data"][-1]["orderId"])

    def deals(self, session: TraderSession, *, since: dt.datetime | None, limit: int = 500) -> DealPage:
        found: list[PlatformDeal] = []
        symbols = {str(o["orderId"]): o["marketId"] for o in self._orders_since(session, since)}
        fills = self._orders_fills(session, list(symbols))
        found += [self._fill(session, row, symbols[str(row["orderId"])]) for row in fills]
        for row in self._closes_since(session, since):
            found.append(
                PlatformDeal(
                    deal_id=str(row["orderId"]),
                    account_id=session.account_id,
                    symbol=row["marketId"],
                    position_id=str(row["positionId"]),
                    order_id="",
                    side=row["side"].lower(),
                    entry="out",
                    lots=_number(row["positionCloseLotAmount"]),
                    price=_number(row["closePrice"]),
                    time=_time(row["closedAt"]),
                    profit=_number(row["realizedPnlInRAT"]),
                )
            )
        found = [d for d in found if since is None or _aware(d.time, since) >= since]
        found.sort(key=lambda d: (d.time, d.entry != "in"))
        return DealPage(deals=found[:limit], has_more=len(found) > limit)


def _as_out(deal: PlatformDeal) -> PlatformDeal:
    from dataclasses import replace

    return replace(deal, entry="out")


def _aware(moment: dt.datetime, like: dt.datetime) -> dt.datetime:
    """Compare naive platform times with an aware cursor as if both were in the cursor's zone."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None and like.tzinfo else moment
