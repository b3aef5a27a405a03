"""Helpers of the demo seeding commands (`manage.py seed_demo` and the per-app commands it runs).

`dispatch_outbox` runs the handlers of the events the seeding services wrote, there and then, with the
dispatcher the outbox task uses: the client counters, the affiliate actions ... are up to date when the
command prints its summary, whether or not a broker or an enclosing transaction would deliver them later.
"""

from __future__ import annotations

import logging

from crm.core.events import HandlerFailed, dispatch_event
from crm.core.models import OutboxEvent

logger = logging.getLogger(__name__)


def dispatch_outbox() -> int:
    """Dispatch every undispatched event, including those the handlers emit; returns how many were dispatched.

    An event whose handler fails is left for the outbox sweep (logged), as the task would leave it.
    """
    tried: set[int] = set()
    dispatched = 0
    while True:
        pending = [
            pk
            for pk in OutboxEvent.objects.filter(dispatched_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            if pk not in tried
        ]
        if not pending:
            return dispatched
        for pk in pending:
            tried.add(pk)
            try:
                dispatch_event(pk)
            except HandlerFailed:
                logger.warning("Demo seeding: event %s left for the outbox sweep.", pk, exc_info=True)
                continue
            dispatched += 1
