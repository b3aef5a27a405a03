"""Deals and positions of accounts on an outside platform, synced into our Deal and Position rows.

Idempotent: a deal is stored once per adapter (`Deal(adapter, external_id)` is unique), so reading it twice, or
two workers syncing at once, leaves one record. Catches up after downtime: each adapter keeps a cursor
(`synced_until`, the time of the newest deal seen, UTC) and the next run asks every account for its deals from the
cursor on, less an overlap (`sync_overlap_seconds`, default 300: deals written on the platform while we were
reading other accounts), paging until the platform has no more. Times a platform writes without an offset are in
its server's zone (`timezone` in the adapter's configuration, default UTC) and stored in UTC.

No ledger entries: an outside platform's account keeps its money on that platform (it settles profit, commission
and swaps itself), so our journal records only the money that moves between the client's wallet and the platform
(the transfers). Synced positions never reach the engine (`PositionQuerySet.open()` is the built-in platform's).
`position.opened`/`position.closed` are emitted as for the built-in platform (affiliate commissions count them).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.trading.models import Deal, Instrument, PlatformAdapter, Position
from crm.trading.platforms import PlatformError, PlatformUnavailable, TraderSession, TradingPlatform, platform_of
from crm.trading.platforms.base import PlatformDeal
from crm.trading.services.execution import _position_payload
from crm.wallets.models import Wallet

logger = logging.getLogger(__name__)
TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)
PAGE = 500


class SyncRefused(DomainError):
    code = "sync_refused"


@dataclass
class SyncResult:
    accounts: int = 0
    stored: int = 0
    seen: int = 0
    unknown_symbols: int = 0
    failed_accounts: list[str] = field(default_factory=list)


def server_zone(adapter: PlatformAdapter) -> ZoneInfo:
    """The platform server's time zone from the adapter's configuration (`timezone`, default UTC)."""
    name = str(adapter.configuration.get("timezone") or "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SyncRefused(_("Unknown time zone %(name)s.") % {"name": name}) from exc


def to_utc(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A platform time in UTC: a naive one is read in the server's zone, an aware one keeps its offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def sync_platform(adapter: PlatformAdapter, *, platform: TradingPlatform | None = None) -> SyncResult:
    """Store the new deals of every account of the adapter's groups; the cursor moves only when all succeeded."""
    if adapter.type == PlatformAdapter.Type.BUILTIN:
        raise SyncRefused(_("The built-in platform's deals are ours already."))
    platform = platform or platform_of(adapter)
    zone = server_zone(adapter)
    overlap = dt.timedelta(seconds=int(adapter.configuration.get("sync_overlap_seconds", 300)))
    since = adapter.synced_until - overlap if adapter.synced_until else None
    accounts = Wallet.objects.filter(group__trading_settings__adapter=adapter, type__in=TRADING_TYPES).select_related(
        "customer", "currency"
    )
    result = SyncResult()
    newest = adapter.synced_until
    for account in accounts.order_by("pk"):
        result.accounts += 1
        try:
            seen = _sync_account(adapter, platform, account, since=since, zone=zone, result=result)
        except PlatformUnavailable:
            raise  # the task retries; the cursor has not moved
        except PlatformError as refusal:
            # One account the platform refuses (unknown there, say) does not stop the others; the cursor stays
            # put so that its deals are asked for again once it is fixed.
            logger.warning("Sync of %s on %s refused: %s", account.number, adapter.name, refusal.message)
            result.failed_accounts.append(account.number)
            continue
        newest = max(filter(None, (newest, seen)), default=None)
    if newest != adapter.synced_until and not result.failed_accounts:
        PlatformAdapter.objects.filter(pk=adapter.pk).update(synced_until=newest)
        adapter.synced_until = newest
    return result


def _sync_account(
    adapter: PlatformAdapter,
    platform: TradingPlatform,
    account: Wallet,
    *,
    since: dt.datetime | None,
    zone: ZoneInfo,
    result: SyncResult,
) -> dt.datetime | None:
    """Store one account's deals from `since` on, page by page; returns the newest deal time seen (UTC)."""
    newest: dt.datetime | None = None
    cursor = since
    while True:
        page = platform.deals(TraderSession(account.number), since=cursor, limit=PAGE)
        for deal in page.deals:
            result.seen += 1
            moment = to_utc(deal.time, zone)
            newest = max(newest, moment) if newest else moment
            stored = _store(adapter, account, deal, moment)
            result.stored += stored is True
            result.unknown_symbols += stored is None
        if not page.has_more or not page.deals:
            return newest
        cursor = to_utc(page.deals[-1].time, zone)


def _store(adapter: PlatformAdapter, account: Wallet, deal: PlatformDeal, moment: dt.datetime) -> bool | None:
    """True when stored, False when already there, None when the symbol is unknown here."""
    if Deal.objects.filter(adapter=adapter, external_id=deal.deal_id).exists():
        return False
    instrument = Instrument.objects.filter(symbol=deal.symbol).first()
    if instrument is None:
        return None
    try:
        with transaction.atomic():
            _apply(adapter, account, instrument, deal, moment)
    except IntegrityError:  # another worker stored it meanwhile
        return False
    return True


def _apply(
    adapter: PlatformAdapter, account: Wallet, instrument: Instrument, deal: PlatformDeal, moment: dt.datetime
) -> None:
    position = Position.objects.select_for_update().filter(adapter=adapter, external_id=deal.position_id).first()
    opened = position is None
    if position is None:
        side = deal.side if deal.entry == Deal.Entry.IN else ("buy" if deal.side == "sell" else "sell")
        position = Position(
            account=account, instrument=instrument, side=side, lots=Decimal(0), opened_lots=Decimal(0),
            open_price=deal.price, opened_at=moment, adapter=adapter, external_id=deal.position_id,
        )  # fmt: skip
    if deal.entry == Deal.Entry.IN or opened:
        position.lots += deal.lots
        position.opened_lots += deal.lots
    if deal.entry == Deal.Entry.OUT:
        position.lots = max(position.lots - deal.lots, Decimal(0))
        position.profit += deal.profit
    position.commission += deal.commission
    if position.lots == 0:
        position.status = Position.Status.CLOSED
        position.close_price = deal.price
        position.closed_at = moment
    position.save()
    Deal.objects.create(
        account=account, instrument=instrument, position=position, side=deal.side, entry=deal.entry,
        lots=deal.lots, price=deal.price, profit=deal.profit, commission=deal.commission, created_at=moment,
        adapter=adapter, external_id=deal.deal_id, comment=f"{adapter.name} {deal.deal_id}"[:100],
    )  # fmt: skip
    position.account = account
    if opened:
        emit("position.opened", **_position_payload(position))
    if position.status == Position.Status.CLOSED:
        quantum = account.currency.quantum
        emit(
            "position.closed",
            **{**_position_payload(position), "profit": str(position.profit.quantize(quantum)), "reason": ""},
        )
