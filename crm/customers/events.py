"""Facts of other domains the client record keeps up with, learnt through events (never by importing them)."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.core.events import handles
from crm.core.models import OutboxEvent
from crm.customers.models import Customer


@handles("deposit.completed")
def count_deposit(event: OutboxEvent) -> None:
    """Deposit counter, first and last deposit dates. Runs once per event (the outbox guarantees it)."""
    customer_id = event.payload.get("customer_id")
    if not customer_id:
        return
    when = parse_datetime(event.payload.get("completed_at") or "") or event.created_at or timezone.now()
    Customer.objects.filter(pk=customer_id).update(
        deposit_count=F("deposit_count") + 1,
        first_deposit_at=Least(Coalesce(F("first_deposit_at"), when), when),
        last_deposit_at=Greatest(Coalesce(F("last_deposit_at"), when), when),
    )
