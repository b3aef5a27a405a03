"""The portal's live socket, `/ws/v1/portal/live/?token=<access JWT>` (README "Live updates").

The client authenticates with the portal's access token in the `token` query parameter (browsers cannot set
headers on a WebSocket). Then it sends JSON actions:

- `{"action": "subscribe_quotes", "symbols": ["EURUSD", ...]}` / `unsubscribe_quotes`: quotes of those markets,
  the last one at once, then every tick, priced in the followed account's group (markup) when there is one;
- `{"action": "subscribe_account", "account": <id>}`: follow one of the caller's trading accounts (one at a time:
  it replaces the previous one); its figures, open positions and pending orders at once, then every order fill,
  position opened or closed, margin call and stop-out. Another client's account answers `not_found`;
- `{"action": "unsubscribe_account"}`;
- `{"action": "authenticate", "token": <new access token>}`: the same client's fresh token, before the old one
  expires (the socket closes with 4401 when the token it holds expires).

Every answer is a JSON object with a `type`; refusals are `{"type": "error", "code", "message"}`.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from crm.trading import live

CLOSE_UNAUTHENTICATED = 4401
MAX_SYMBOLS = 100


class PortalLiveConsumer(AsyncJsonWebsocketConsumer):
    """One portal socket: the client's quotes subscriptions and the one trading account it follows."""

    client: live.Client | None = None
    account_id: int | None = None
    markups: dict[int, Decimal]
    symbols: dict[int, str]
    expiry: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.markups, self.symbols = {}, {}
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("token") or [""])[0]
        if await self._authenticate(raw) and self.client is not None:
            await self.send_json({"type": "ready", "accounts": self.client.accounts})

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        for instrument_id in list(self.symbols):
            await self.channel_layer.group_discard(live.quotes_group(instrument_id), self.channel_name)
        if self.account_id is not None:
            await self.channel_layer.group_discard(live.account_group(self.account_id), self.channel_name)

    async def _authenticate(self, raw: str) -> bool:
        try:
            client = await database_sync_to_async(live.portal_client)(raw)
        except live.Refused as refusal:
            await self._error(refusal.code, refusal.message)
            if self.client is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        if self.client is not None and client.user_id != self.client.user_id:
            await self._error("permission_denied", _("The token belongs to another client."))
            return False
        self.client = client
        if self.expiry is not None:
            self.expiry.cancel()
        self.expiry = asyncio.ensure_future(self._expire(client.expires_at))
        return True

    async def _expire(self, expires_at: int) -> None:
        await asyncio.sleep(max(expires_at - time.time(), 0))
        await self._error("token_not_valid", _("The token has expired: connect again with a fresh one."))
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _error(self, code: str, message: str, **fields: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "fields": fields})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.client is None:
            return
        action = content.get("action") if isinstance(content, dict) else None
        handlers = {
            "subscribe_quotes": self._subscribe_quotes,
            "unsubscribe_quotes": self._unsubscribe_quotes,
            "subscribe_account": self._subscribe_account,
            "unsubscribe_account": self._unsubscribe_account,
            "authenticate": self._reauthenticate,
        }
        handler = handlers.get(action) if isinstance(action, str) else None
        if handler is None:
            await self._error("invalid_action", _("Unknown action."), action=sorted(handlers))
            return
        await handler(content)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            await self._error("parse_error", _("Send one JSON object per message."))

    def _symbols(self, content: dict[str, Any]) -> list[str] | None:
        symbols = content.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            return None
        return list(dict.fromkeys(symbols))[:MAX_SYMBOLS]

    async def _subscribe_quotes(self, content: dict[str, Any]) -> None:
        symbols = self._symbols(content)
        if symbols is None:
            await self._error("invalid", _("`symbols` must be a list of market symbols."))
            return
        found = await database_sync_to_async(live.instruments_by_symbol)(symbols)
        allowed = self.markups if self.account_id is not None else None  # the followed account's group's
        unknown = [s for s in symbols if s not in found or (allowed is not None and found[s] not in allowed)]
        if unknown:
            await self._error("unknown_symbols", _("These markets cannot be quoted here."), symbols=unknown)
            return
        for symbol, instrument_id in found.items():
            if instrument_id not in self.symbols:
                await self.channel_layer.group_add(live.quotes_group(instrument_id), self.channel_name)
                self.symbols[instrument_id] = symbol
        await self.send_json({"type": "subscribed", "symbols": sorted(self.symbols.values())})
        for event in await database_sync_to_async(live.last_quotes)(found.values()):
            await self.quote_tick(event)

    async def _unsubscribe_quotes(self, content: dict[str, Any]) -> None:
        symbols = self._symbols(content)
        if symbols is None:
            await self._error("invalid", _("`symbols` must be a list of market symbols."))
            return
        for instrument_id, symbol in list(self.symbols.items()):
            if symbol in symbols:
                await self.channel_layer.group_discard(live.quotes_group(instrument_id), self.channel_name)
                del self.symbols[instrument_id]
        await self.send_json({"type": "subscribed", "symbols": sorted(self.symbols.values())})

    async def _subscribe_account(self, content: dict[str, Any]) -> None:
        customer_id = self.client.customer_id if self.client is not None else 0
        account = await database_sync_to_async(live.trading_account)(customer_id, content.get("account"))
        if account is None:
            await self._error("not_found", _("No trading account of yours has this id."))
            return
        await self._unsubscribe_account({})
        self.markups = await database_sync_to_async(live.markups)(account)
        self.account_id = account.pk
        await self.channel_layer.group_add(live.account_group(account.pk), self.channel_name)
        for message in await database_sync_to_async(live.account_snapshot)(account):
            await self.send_json(message)

    async def _unsubscribe_account(self, content: dict[str, Any]) -> None:
        if self.account_id is not None:
            await self.channel_layer.group_discard(live.account_group(self.account_id), self.channel_name)
        self.account_id, self.markups = None, {}

    async def _reauthenticate(self, content: dict[str, Any]) -> None:
        token = content.get("token")
        if await self._authenticate(token if isinstance(token, str) else ""):
            await self.send_json({"type": "authenticated"})

    # Channel-layer events ---------------------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """A quote goes straight to its handler: Channels' dispatch first closes stale database connections in
        a worker thread (one thread hop per message and socket), which a quote, touching no database, does not
        need; at 100 sockets on a market those hops were most of the fan-out's cost."""
        if message.get("type") == live.QUOTE_EVENT:
            await self.quote_tick(message)
            return
        await super().dispatch(message)

    async def quote_tick(self, event: dict[str, Any]) -> None:
        instrument_id = event["instrument"]
        if instrument_id not in self.symbols:
            return
        bid, ask = Decimal(event["bid"]), Decimal(event["ask"])
        markup = self.markups.get(instrument_id)
        if markup:
            bid, ask = bid - markup, ask + markup
        await self.send_json(
            {"type": "quote", "symbol": event["symbol"], "bid": str(bid), "ask": str(ask), "time": event["time"]}
        )

    async def account_update(self, event: dict[str, Any]) -> None:
        if event["account"] == self.account_id:
            await self.send_json(event["message"])
