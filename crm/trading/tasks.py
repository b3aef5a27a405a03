"""Thin Celery wrappers around the trading services (scheduled by `setup_periodic_tasks`)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from crm.core import work
from crm.core.exceptions import DomainError
from crm.trading import live, services
from crm.trading.feeds import SandboxFeed
from crm.trading.models import Instrument, PlatformAdapter, Position
from crm.trading.platforms import PlatformUnavailable
from crm.trading.services import market_files
from crm.trading.work import MARKET_IMPORTS
from crm.wallets.models import Wallet


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def charge_swaps_task(day: str | None = None) -> int:
    """Charge the rollover of `day` (default: today, UTC) on every open position; a day charged twice charges once."""
    rollover = dt.date.fromisoformat(day) if day else timezone.now().date()
    return services.charge_swaps(rollover)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def charge_funding_task() -> int:
    """Charge the perpetual funding moments due now on every open perpetual position; each moment once."""
    return services.charge_funding()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def check_accounts_task() -> int:
    """Stop out the accounts under their level and write every trading account's figures; returns positions closed."""
    closed = 0
    account_ids = Position.objects.open().values_list("account_id", flat=True).distinct().order_by("account_id")
    for account_id in account_ids:
        closed += services.check_stop_out(Wallet(pk=account_id))
    return closed


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def expire_orders_task() -> int:
    """Expire good-till-date orders whose time has passed."""
    return services.expire_orders()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1770)
def prune_candles_task() -> int:
    """Delete the candles past their interval's retention (`CANDLE_RETENTION_DAYS`); returns how many."""
    return services.prune_candles()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def sandbox_quotes_task(steps: int = 1) -> int:
    """Move the sandbox prices of every enabled instrument by `steps` ticks (the demo's feed without a process)."""
    instruments = {item.symbol: item for item in Instrument.objects.enabled()}
    feed = SandboxFeed(instruments.values(), seed=int(timezone.now().timestamp()) // 60)
    actions = 0
    for _ in range(steps):
        accepted = []
        for item in feed.step():
            instrument = instruments[item.symbol]
            try:
                actions += services.process_quote(instrument, bid=item.bid, ask=item.ask)
            except DomainError:
                continue
            accepted.append(live.PublishedQuote(instrument.pk, item.symbol, item.bid, item.ask, timezone.now()))
        live.publish_quotes(accepted)
    return actions


@shared_task(**work.retrying(time_limit=600, max_retries=3))
def run_market_import_task(job_id: str) -> None:
    """Import one markets file; a file already imported (or failed) is left alone."""
    market_files.run_market_import(job_id)


@shared_task(**work.retrying(time_limit=60))
def sweep_market_imports_task() -> int:
    """Run again the markets files whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(MARKET_IMPORTS)


@shared_task(
    acks_late=True,
    autoretry_for=(PlatformUnavailable,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
    time_limit=600,
    soft_time_limit=570,
)
def sync_platforms_task(adapter_id: int | None = None) -> int:
    """Sync the deals of the enabled outside platforms (or of one); returns the deals stored. Running it twice
    stores nothing new; a platform that is down is retried with backoff and catches up from its cursor."""
    adapters = PlatformAdapter.objects.filter(is_enabled=True, type__in=PlatformAdapter.TRADING_TYPES).exclude(
        type=PlatformAdapter.Type.BUILTIN
    )
    if adapter_id is not None:
        adapters = adapters.filter(pk=adapter_id)
    stored = 0
    for adapter in adapters.order_by("pk"):
        stored += services.sync_platform(adapter).stored
    return stored
