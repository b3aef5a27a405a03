"""Domain events through a transactional outbox.

`emit()` writes an OutboxEvent row in the caller's transaction and, once that commits,
asks Celery to dispatch it. If Redis or the worker is down, the row waits and the
periodic `dispatch_pending_events_task` picks it up: nothing is lost. Each handler runs
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
    event = OutboxEvent.objects.create(name=name, payload=payload)
    from crm.core.tasks import dispatch_event_task

    transaction.on_commit(lambda: _enqueue(dispatch_event_task, event.pk))
    return event


def _enqueue(task, event_id: int) -> None:
    # A broker outage must not fail the request that already committed: the sweep retries.
    try:
        task.delay(event_id)
    except Exception:  # kombu raises many connection error types
        logger.warning("Could not enqueue event %s; the periodic sweep will dispatch it.", event_id, exc_info=True)


class HandlerFailed(Exception):
    pass


def dispatch_event(event_id: int) -> bool:
    """Run every handler not yet run for the event; True when the event is fully dispatched."""
    event = OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).first()
    if event is None:
        return True
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
    updates = {"attempts": event.attempts + 1, "last_error": "\n".join(failures)}
    if not failures:
        updates["dispatched_at"] = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(**updates)
    if failures:
        raise HandlerFailed("; ".join(failures))
    return True


def pending_event_ids(limit: int = 500, max_attempts: int = 20) -> list[int]:
    return list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def redispatch(event_ids: list[int]) -> int:
    """Queue the undispatched events among `event_ids` again (whatever their attempts); returns how many."""
    from crm.core.tasks import dispatch_event_task

    pending = list(
        OutboxEvent.objects.filter(pk__in=event_ids, dispatched_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for event_id in pending:
        transaction.on_commit(lambda event_id=event_id: _enqueue(dispatch_event_task, event_id))
    return len(pending)
