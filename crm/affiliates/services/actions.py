"""Referral actions: the commissionable facts of other domains, stored once from their events.

Each is keyed by (action type, source id), so an event handled twice stores one row. The direct introducer
at the time of the action is kept on the row: a later reassignment does not move what was earned.

`position.closed` (this is the payload the trading domain emits; a spot market's `order.filled` carries the same
keys, with `fill_id` and `market_type` "SPOT", and is stored as a SPOT_TRADE):

    {"position_id": 123, "customer_id": 45, "instrument": "EURUSD", "instrument_group": "FX",
     "lots": "1.50", "commission": "7.00", "spread": "12.30", "currency": "USD",
     "opened_at": "2025-01-01T10:00:00+00:00", "closed_at": "2025-01-01T11:00:00+00:00"}

`deposit.refunded` / `deposit.charged_back` (payments emits them when a provider reports one):

    {"transaction_id": 77, "customer_id": 45, "amount": "100.00", "currency": "USD"}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.affiliates.models import Affiliate, Attribution, ReferralAction
from crm.core.money import to_decimal
from crm.customers.models import Customer
from crm.sales.models import Lead

Type = ReferralAction.Type


def _when(value: Any, default=None):
    parsed = parse_datetime(str(value)) if value else None
    return parsed or default or timezone.now()


def _introducers(customer_ids: Iterable[int]) -> dict[int, tuple[int | None, str]]:
    """customer id -> (direct introducer's affiliate id, customer country), in one query."""
    rows = Customer.objects.filter(pk__in=set(customer_ids)).values_list("pk", "introducer__affiliate", "country")
    return {pk: (affiliate_id, str(country or "")) for pk, affiliate_id, country in rows}


def _store(rows: list[ReferralAction]) -> int:
    """Insert the actions not stored yet (the unique (type, source) pair drops repeats); returns how many were new."""
    keys = {(row.action_type, row.source_id) for row in rows}
    known = set(
        ReferralAction.objects.filter(
            action_type__in={t for t, _ in keys}, source_id__in={s for _, s in keys}
        ).values_list("action_type", "source_id")
    )
    ReferralAction.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(keys - known)


@transaction.atomic
def record_money_action(action_type: str, payload: dict[str, Any], *, occurred_at=None) -> None:
    """A first deposit, deposit, withdrawal, refund or chargeback of a client with an introducer."""
    customer_id = payload.get("customer_id")
    transaction_id = payload.get("transaction_id")
    if not customer_id or not transaction_id:
        return
    affiliate_id, country = _introducers([int(customer_id)]).get(int(customer_id), (None, ""))
    if affiliate_id is None:
        return
    reverses = int(transaction_id) if action_type in (Type.REFUND, Type.CHARGEBACK) else None
    _store(
        [
            ReferralAction(
                action_type=action_type,
                source_id=int(transaction_id),
                reverses_source_id=reverses,
                affiliate_id=affiliate_id,
                customer_id=int(customer_id),
                country=country,
                amount=to_decimal(payload.get("amount") or 0),
                currency=str(payload.get("currency") or ""),
                occurred_at=_when(payload.get("completed_at"), occurred_at),
            )
        ]
    )


@transaction.atomic
def record_lead_qualified(lead_id: int, *, occurred_at=None) -> None:
    """A qualified lead of an affiliate (CPL). Qualifying the same lead twice stores one action."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return
    affiliate_id = Attribution.objects.filter(lead=lead).values_list("affiliate_id", flat=True).first()
    if affiliate_id is None and lead.affiliate_id:
        affiliate_id = Affiliate.objects.filter(customer_id=lead.affiliate_id).values_list("pk", flat=True).first()
    if affiliate_id is None:
        return
    _store(
        [
            ReferralAction(
                action_type=Type.LEAD_QUALIFIED,
                source_id=lead.pk,
                affiliate_id=affiliate_id,
                customer_id=lead.customer_id,
                lead=lead,
                country=str(lead.country or ""),
                occurred_at=occurred_at or timezone.now(),
            )
        ]
    )


def record_closed_positions(payloads: list[dict[str, Any]]) -> int:
    """Closed positions of referred clients (payload above), stored in bulk; returns how many were new."""
    return _record_trades(payloads, action_type=Type.POSITION_CLOSED, source="position_id")


def record_spot_trades(payloads: list[dict[str, Any]]) -> int:
    """Spot fills of referred clients (`order.filled` of a spot market: the payload above with `fill_id`, the fee
    as `commission` in the quote asset named by `currency`), stored in bulk; returns how many were new."""
    return _record_trades(payloads, action_type=Type.SPOT_TRADE, source="fill_id")


def _record_trades(payloads: list[dict[str, Any]], *, action_type: str, source: str) -> int:
    customers = _introducers(int(p["customer_id"]) for p in payloads if p.get("customer_id"))
    rows = []
    for payload in payloads:
        affiliate_id, country = customers.get(int(payload.get("customer_id") or 0), (None, ""))
        if affiliate_id is None or not payload.get(source):
            continue
        opened, closed = _when(payload.get("opened_at")), _when(payload.get("closed_at"))
        rows.append(
            ReferralAction(
                action_type=action_type,
                source_id=int(payload[source]),
                affiliate_id=affiliate_id,
                customer_id=int(payload["customer_id"]),
                country=country,
                currency=str(payload.get("currency") or ""),
                instrument=str(payload.get("instrument") or "").upper()[:50],
                instrument_group=str(payload.get("instrument_group") or "").upper()[:50],
                lots=to_decimal(payload.get("lots") or 0),
                trading_commission=abs(to_decimal(payload.get("commission") or 0)),
                spread=abs(to_decimal(payload.get("spread") or 0)),
                holding_seconds=max(int((closed - opened).total_seconds()), 0),
                occurred_at=closed,
            )
        )
    return _store(rows) if rows else 0
