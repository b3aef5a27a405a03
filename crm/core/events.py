"""Domain events through a transactional outbox.

`emit()` writes an OutboxEvent row in the caller's transaction and, once that commits,
asks Celery to dispatch it. The row is stored work (crm.core.work, kind OUTBOX): if Redis
or the worker is down, the row waits and the periodic `dispatch_pending_events_task`
sends it again: nothing is lost. Each handler runs
once per event (HandledEvent is unique per pair), inside its own transaction, so a
handler that fails is retried without re-running the others.

Apps subscribe in their `events.py`:

    @handles("client.registered")
    def send_welcome_email(event: OutboxEvent) -> None: ...
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from crm.core import work
from crm.core.models import HandledEvent, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for an event name."""

    def register(func: Handler) -> Handler:
        if func not in _handlers[name]:
            _handlers[name].append(func)
        return func

    return register


def handlers_for(name: str) -> list[Handler]:
    return list(_handlers.get(name, []))


def handler_name(func: Handler) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def autodiscover_handlers() -> None:
    autodiscover_modules("events")


def emit(name: str, **payload: Any) -> OutboxEvent:
    """Record an event in the current transaction; it is dispatched after commit."""
    event = OutboxEvent.objects.create(**event_values(name, **payload))
    dispatch_after_commit(event.pk)
    return event


def event_values(name: str, **payload: Any) -> dict[str, Any]:
    """The outbox row `emit` writes, as field values by attname (`created_at` is stamped on insert).

    The one definition of what an event row holds: the ledger writes a money movement's event from it with its
    own prepared statement (crm.wallets.services.ledger), then calls `dispatch_after_commit` as `emit` does."""
    return {"name": name, "payload": payload, "next_attempt_at": work.first_due(work.OUTBOX)}


def dispatch_after_commit(event_id: int) -> None:
    """Send a just written event to its handlers once the transaction that wrote it commits."""
    work.enqueue(work.OUTBOX, event_id)


class HandlerFailed(Exception):
    pass


def dispatch_event(event_id: int) -> bool:
    """Run every handler not yet run for the event; True when the event is fully dispatched.

    The run is claimed first (attempts + 1, leased; committed), so a run that dies still counts."""
    if not work.claim(work.OUTBOX, event_id):
        return True
    event = OutboxEvent.objects.get(pk=event_id)
    done = set(event.handled.values_list("handler", flat=True))
    failures = []
    for func in handlers_for(event.name):
        name = handler_name(func)
        if name in done:
            continue
        try:
            with transaction.atomic():
                # Claim first: a second worker on the same event fails the unique pair and rolls back.
                HandledEvent.objects.create(event=event, handler=name)
                func(event)
        except IntegrityError:
            continue
        except Exception as exc:
            logger.exception("Handler %s failed on event %s", name, event.pk)
            failures.append(f"{name}: {exc!r}")
    updates: dict[str, Any] = {"last_error": "\n".join(failures)}
    if not failures:
        updates["dispatched_at"] = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(**updates)
    if failures:
        raise HandlerFailed("; ".join(failures))
    return True


def redispatch(event_ids: list[int]) -> int:
    """Queue the undispatched events among `event_ids` again (whatever their attempts); returns how many."""
    return work.requeue(work.OUTBOX, event_ids)
