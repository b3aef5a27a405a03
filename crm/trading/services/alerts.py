"""Price alerts and trader notifications: set and remove alerts, fire them from quotes, raise and read messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.exceptions import DomainError
from crm.trading.models import Instrument, PriceAlert, TraderNotification
from crm.wallets.models import Wallet

MAX_ALERTS = 200  # active alerts per account


class TooManyAlerts(DomainError):
    code = "too_many_alerts"


class NotFoundAmong(DomainError):
    """Some of the ids are not the account's; nothing was changed."""

    code = "not_found"
    status_code = 404


@transaction.atomic
def create_price_alert(account: Wallet, *, instrument: Instrument, price: Decimal, condition: str) -> PriceAlert:
    """An alert on the instrument's bid; at most MAX_ALERTS active ones per account."""
    Wallet.objects.select_for_update().filter(pk=account.pk).first()
    if PriceAlert.objects.filter(account=account, is_active=True).count() >= MAX_ALERTS:
        raise TooManyAlerts(
            f"An account holds at most {MAX_ALERTS} price alerts.", fields={"marketId": ["Too many alerts."]}
        )
    return PriceAlert.objects.create(account=account, instrument=instrument, price=price, condition=condition)


@transaction.atomic
def delete_price_alerts(account: Wallet, ids: list[int]) -> int:
    """Remove the account's alerts with these ids; any id not the account's refuses them all (404)."""
    rows = PriceAlert.objects.filter(account=account, pk__in=ids)
    if rows.count() != len(set(ids)):
        raise NotFoundAmong("Some of these price alerts do not exist.", fields={"ids": ["Unknown id."]})
    deleted, _ = rows.delete()
    return deleted


def fire_price_alerts(instrument: Instrument, *, bid: Decimal, time: dt.datetime | None = None) -> int:
    """Fire the instrument's active alerts the bid has reached: each once, with a MarketPrice notification."""
    reached = Q(condition=PriceAlert.Condition.GTE, price__lte=bid) | Q(
        condition=PriceAlert.Condition.LTE, price__gte=bid
    )
    hit = PriceAlert.objects.filter(reached, instrument=instrument, is_active=True)
    fired = 0
    for alert in hit.select_related("account").order_by("pk"):
        with transaction.atomic():
            updated = PriceAlert.objects.filter(pk=alert.pk, is_active=True).update(
                is_active=False, triggered_at=time or timezone.now()
            )
            if not updated:
                continue
            notify(
                alert.account,
                type=TraderNotification.Type.MARKET_PRICE,
                key=f"price_alert:{alert.pk}",
                data={
                    "marketId": instrument.symbol,
                    "price": str(alert.price.normalize()),
                    "condition": alert.condition,
                    "marketPrice": str(bid.normalize()),
                },
            )
            fired += 1
    return fired


def notify(account: Wallet, *, type: str, key: str, data: dict[str, Any]) -> TraderNotification | None:
    """Raise a notification once per `key` (a second call with the same key does nothing and returns None)."""
    body = {"accountName": account.caption or account.number, **data, "type": type}
    try:
        with transaction.atomic():
            return TraderNotification.objects.create(account=account, type=type, key=key, data=body)
    except IntegrityError:
        return None


@transaction.atomic
def mark_read(account: Wallet, ids: list[int]) -> int:
    """Mark the account's notifications with these ids read; any id not the account's refuses them all (404)."""
    rows = TraderNotification.objects.filter(account=account, pk__in=ids)
    if rows.count() != len(set(ids)):
        raise NotFoundAmong("Some of these notifications do not exist.", fields={"ids": ["Unknown id."]})
    return rows.update(is_read=True)


def mark_all_read(account: Wallet) -> int:
    return TraderNotification.objects.filter(account=account, is_read=False).update(is_read=True)
