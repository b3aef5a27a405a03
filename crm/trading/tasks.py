"""Thin Celery wrappers around the trading services (scheduled by `setup_periodic_tasks`)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.trading import live, services
from crm.trading.feeds import SandboxFeed
from crm.trading.models import Instrument, Position
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
