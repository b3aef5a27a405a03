"""Live updates to portals: what the WebSocket consumer (crm.trading.consumers) sends and where it comes from.

Two kinds of channel-layer groups (Redis when `REDIS_URL` is set, the process's memory otherwise):

- `quotes.<instrument id>`: every quote the feed accepts (`publish_quotes`, called by `run_price_feed` and the
  sandbox-prices task once per tick);
- `account.<wallet id>`: the account's orders, positions and margin, pushed by the outbox handlers of
  crm.trading.events when `order.filled`, `position.opened`, `position.closed`, `margin.call` or `stop_out` is
  dispatched.

Publishing is best effort: live updates are not stored work (the database is the truth and a portal reads it
again on reconnecting), so a channel layer that is down loses the push and logs a warning, never failing the
tick or the event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from crm.customers.models import Customer
from crm.trading import selectors
from crm.trading.models import GroupInstrument, Instrument, Order, Position, Quote
from crm.users.api.authentication import portal_token_user
from crm.wallets.models import Wallet

logger = logging.getLogger(__name__)
TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)
QUOTE_EVENT = "quote.tick"
ACCOUNT_EVENT = "account.update"


def quotes_group(instrument_id: int) -> str:
    return f"quotes.{instrument_id}"


def account_group(account_id: int) -> str:
    return f"account.{account_id}"


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# Publishing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedQuote:
    instrument_id: int
    symbol: str
    bid: Decimal
    ask: Decimal
    time: dt.datetime


def publish_quotes(quotes: Iterable[PublishedQuote]) -> int:
    """Send one tick's quotes to their groups in one round trip; returns how many were sent (0 when it failed)."""
    messages = [
        (
            quotes_group(item.instrument_id),
            {
                "type": QUOTE_EVENT,
                "instrument": item.instrument_id,
                "symbol": item.symbol,
                "bid": str(item.bid),
                "ask": str(item.ask),
                "time": item.time.isoformat(),
            },
        )
        for item in quotes
    ]
    return _send(messages)


def push_account(account_id: int, message: dict[str, Any]) -> int:
    """Send one message to the sockets following the account."""
    return _send([(account_group(account_id), {"type": ACCOUNT_EVENT, "account": account_id, "message": message})])


def _send(messages: list[tuple[str, dict[str, Any]]]) -> int:
    layer = get_channel_layer()
    if layer is None or not messages:
        return 0

    async def send_all() -> None:
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))

    try:
        async_to_sync(send_all)()
    except Exception:  # best effort: a push lost is read again from the database
        logger.warning("Live updates: could not publish %d message(s)", len(messages), exc_info=True)
        return 0
    return len(messages)


# What the sockets are sent ----------------------------------------------------------------------------------


def account_message(account: Wallet) -> dict[str, Any]:
    """The account's figures now: balance, credit, equity, margin, free margin, margin level (account currency)."""
    state = selectors.account_state(account)
    quantum = account.currency.quantum
    level = state.margin_level
    return {
        "type": "account",
        "account": account.pk,
        "currency": account.currency_id,
        "balance": str(state.balance.quantize(quantum)),
        "credit": str(state.credit.quantize(quantum)),
        "floating_profit": str(state.floating.quantize(quantum)),
        "equity": str(state.equity.quantize(quantum)),
        "margin": str(state.margin.quantize(quantum)),
        "free_margin": str(state.free_margin.quantize(quantum)),
        "margin_level": None if level is None else str(level.quantize(Decimal("0.01"))),
    }


def order_data(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "symbol": order.instrument.symbol,
        "side": order.side,
        "type": order.type,
        "status": order.status,
        "lots": str(order.lots),
        "price": _number(order.price),
        "stop_loss": _number(order.stop_loss),
        "take_profit": _number(order.take_profit),
        "fill_price": _number(order.fill_price),
        "filled_at": order.filled_at.isoformat() if order.filled_at else None,
        "position": order.position_id,
        "created_at": order.created_at.isoformat(),
    }


def position_data(position: Position) -> dict[str, Any]:
    return {
        "id": position.pk,
        "symbol": position.instrument.symbol,
        "side": position.side,
        "status": position.status,
        "lots": str(position.lots),
        "opened_lots": str(position.opened_lots),
        "open_price": str(position.open_price),
        "opened_at": position.opened_at.isoformat(),
        "stop_loss": _number(position.stop_loss),
        "take_profit": _number(position.take_profit),
        "close_price": _number(position.close_price),
        "closed_at": position.closed_at.isoformat() if position.closed_at else None,
        "close_reason": position.close_reason or None,
        "profit": str(position.profit),
        "commission": str(position.commission),
        "swap": str(position.swap),
    }


def account_snapshot(account: Wallet) -> list[dict[str, Any]]:
    """What a socket gets on following an account: its figures, open positions and pending orders."""
    positions = Position.objects.open().filter(account=account).select_related("instrument").order_by("pk")
    orders = Order.objects.pending().filter(account=account).select_related("instrument").order_by("pk")
    return [
        account_message(account),
        {"type": "positions", "account": account.pk, "positions": [position_data(p) for p in positions]},
        {"type": "orders", "account": account.pk, "orders": [order_data(o) for o in orders]},
    ]


# Reads the consumer makes (sync; it calls them through database_sync_to_async) ---------------------------------


@dataclass(frozen=True)
class Client:
    user_id: int
    customer_id: int
    expires_at: int
    accounts: list[int]


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def portal_client(raw_token: str) -> Client:
    """The portal client an access token belongs to, with their trading accounts; `Refused` otherwise."""
    if not raw_token:
        raise Refused("not_authenticated", _("Send the portal's access token as the `token` query parameter."))
    try:
        user, expires_at = portal_token_user(raw_token)
    except AuthenticationFailed as exc:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "token_not_valid"
        raise Refused(code, _("The token is not valid or has expired.")) from exc
    customer = getattr(user, "customer", None)
    allowed = (Customer.Status.ACTIVE, Customer.Status.INACTIVE)
    if not user.is_active or customer is None or customer.status not in allowed:
        raise Refused("permission_denied", _("This connection is for clients of the portal."))
    accounts = list(
        Wallet.objects.of_customer(customer).filter(type__in=TRADING_TYPES).order_by("pk").values_list("pk", flat=True)
    )
    return Client(user_id=user.pk, customer_id=customer.pk, expires_at=expires_at, accounts=accounts)


def trading_account(customer_id: int, account_id: object) -> Wallet | None:
    """The client's own trading account of that id, or None (another client's account looks like no account)."""
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        return None
    return (
        Wallet.objects.filter(customer_id=customer_id, type__in=TRADING_TYPES, pk=account_id)
        .select_related("currency")
        .first()
    )


def markups(account: Wallet | None) -> dict[int, Decimal]:
    """Price added to the ask and taken from the bid per instrument, in the account group's terms (one query each)."""
    if account is None:
        return {}
    settings = selectors.group_settings(account)
    overrides: dict[int, int | None] = {}
    disabled: set[int] = set()
    if settings.pk:
        for instrument_id, points, enabled in GroupInstrument.objects.filter(settings=settings).values_list(
            "instrument_id", "markup_points", "is_enabled"
        ):
            overrides[instrument_id] = points
            if not enabled:
                disabled.add(instrument_id)
    found: dict[int, Decimal] = {}
    for pk, digits in Instrument.objects.enabled().values_list("pk", "digits"):
        if pk in disabled:
            continue
        points = overrides.get(pk)
        found[pk] = Decimal(1).scaleb(-digits) * (settings.markup_points if points is None else points)
    return found


def instruments_by_symbol(symbols: list[str]) -> dict[str, int]:
    """Enabled instruments among the symbols: symbol -> id."""
    return dict(Instrument.objects.enabled().filter(symbol__in=symbols).values_list("symbol", "pk"))


def last_quotes(instrument_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The last quote of each instrument (those that have one), as `quote.tick` events."""
    rows = Quote.objects.filter(instrument_id__in=list(instrument_ids)).select_related("instrument")
    return [
        {
            "type": QUOTE_EVENT,
            "instrument": row.instrument_id,
            "symbol": row.instrument.symbol,
            "bid": str(row.bid),
            "ask": str(row.ask),
            "time": row.time.isoformat(),
        }
        for row in rows.order_by("instrument__symbol")
    ]
