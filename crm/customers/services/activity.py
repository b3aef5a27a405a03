"""When a client was last active: written on log-ins and portal actions, at most once a minute per client."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from crm.customers.models import Customer

ACTIVITY_WRITE_INTERVAL = dt.timedelta(minutes=1)


def record_client_activity(user_id: int, *, at: dt.datetime | None = None) -> bool:
    """Stamp `last_activity_at` of the client logged in as `user_id`; True when a row was written.

    Throttled: a cache key lets one request a minute through per client, and the UPDATE only writes a stamp
    older than a minute, so many web processes (or no shared cache) still write at most once a minute.
    """
    at = at or timezone.now()
    if not cache.add(f"customers:activity:{user_id}", 1, timeout=int(ACTIVITY_WRITE_INTERVAL.total_seconds())):
        return False
    stale = Q(last_activity_at__isnull=True) | Q(last_activity_at__lte=at - ACTIVITY_WRITE_INTERVAL)
    return Customer.objects.filter(stale, user_id=user_id).update(last_activity_at=at) > 0
