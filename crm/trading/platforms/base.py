"""The platform adapter interface: what the back office asks of a trading platform, whichever it is.

The built-in platform (`builtin.py`) answers from our own trading services; an outside platform (the 001 REST
client in `rest001.py`, later MT4/MT5, cTrader, Match-Trader) answers over its own API. Accounts are named by the
platform's account id (for the built-in platform: the wallet's number), money by Decimal, times as the platform
gives them (`PlatformDeal.time` may be naive: the sync reads it in the adapter's configured `timezone`).

Trader-side calls (orders, positions, executions) take a `TraderSession`: the account and, for platforms that
want one, the trader's own token (seed 001 names `Authorization: Bearer JWT` but not how a trader's JWT is got;
the caller supplies it, or the adapter's configuration holds one). The built-in platform ignores the token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable


class PlatformError(Exception):
    """The platform refused a request or could not be reached; `status` is its HTTP status when it answered."""

    def __init__(self, message: str, *, status: int | None = None, body: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class PlatformUnavailable(PlatformError):
    """A transient failure (network, timeout, 429, 5xx): worth retrying later."""


@dataclass(frozen=True)
class TraderSession:
    account_id: str
    token: str = ""


@dataclass(frozen=True)
class Balance:
    currency: str
    total: Decimal
    locked: Decimal


@dataclass(frozen=True)
class PlatformAccount:
    account_id: str
    name: str
    account_type: str
    balances: tuple[Balance, ...] = ()


@dataclass(frozen=True)
class Transfer:
    """A deposit or withdrawal on the platform; `deduplication_id` is the key it was asked with."""

    transfer_id: str
    deduplication_id: str
    currency: str
    kind: str  # "Deposit" | "Withdrawal"
    status: str  # "Pending" | "Completed" | ... (001's transfer statuses)
    amount: Decimal


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: str  # "buy" | "sell"
    lots: Decimal
    order_type: str = "market"  # "market" | "limit" | "stop"
    price: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    status: str  # "pending" | "filled" | "cancelled" | "rejected" | "expired" (our Order.Status values)


@dataclass(frozen=True)
class PlatformOrder:
    order_id: str
    symbol: str
    side: str  # "buy" | "sell"
    order_type: str  # "market" | "limit" | "stop"
    status: str  # as PlacedOrder.status
    lots: Decimal
    price: Decimal | None = None
    fill_price: Decimal | None = None


@dataclass(frozen=True)
class PlatformDeal:
    """One execution as the platform reports it; `entry` is "in" (opens or adds) or "out" (closes)."""

    deal_id: str
    account_id: str
    symbol: str
    position_id: str
    order_id: str
    side: str  # "buy" | "sell"
    entry: str  # "in" | "out"
    lots: Decimal
    price: Decimal
    time: dt.datetime  # naive: in the platform server's time zone
    profit: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)


@dataclass(frozen=True)
class DealPage:
    deals: list[PlatformDeal] = field(default_factory=list)
    has_more: bool = False


@runtime_checkable
class TradingPlatform(Protocol):
    """What every platform adapter implements (see the module docstring)."""

    def open_account(self, *, user_id: str, name: str, group_id: str, account_type: str = "Hedging") -> str:
        """Open a trading account for the platform's user `user_id`; returns the new account id."""
        ...

    def account(self, *, user_id: str, account_id: str) -> PlatformAccount:
        """One account with its balances."""
        ...

    def deposit(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        """Credit the account; the same `deduplication_id` twice credits once (the first transfer comes back)."""
        ...

    def withdraw(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        """Start a withdrawal: the amount is locked until `confirm_withdrawal` or `cancel_withdrawal`."""
        ...

    def confirm_withdrawal(self, account_id: str, *, transfer_id: str) -> None: ...

    def cancel_withdrawal(self, account_id: str, *, transfer_id: str) -> None: ...

    def transfer(self, transfer_id: str) -> Transfer: ...

    def place_order(self, session: TraderSession, order: OrderRequest) -> PlacedOrder: ...

    def close_position(self, session: TraderSession, position_id: str, *, lots: Decimal) -> None: ...

    def order(self, session: TraderSession, order_id: str) -> PlatformOrder:
        """One order of the account as the platform has it now."""
        ...

    def order_deals(self, session: TraderSession, order_id: str) -> list[PlatformDeal]:
        """The executions of one order (a market order's fill names the position it opened)."""
        ...

    def position_deals(self, session: TraderSession, position_id: str) -> list[PlatformDeal]:
        """Every execution of one position: its opening and each (partial) close."""
        ...

    def deals(self, session: TraderSession, *, since: dt.datetime | None, limit: int = 500) -> DealPage:
        """The account's deals from `since` on (platform time, inclusive), oldest first, at most `limit`."""
        ...
