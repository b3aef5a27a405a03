"""Stored units of work: the database row is the work, a task message only a reminder that it is there.

Every kind of work that must not be lost (provider and KYC webhooks, outbox events, lead imports, exports,
payouts) is a row written in the transaction that creates the work, with two columns this module keeps:
`attempts` and `next_attempt_at`. Its life:

- **written or queued again**: `next_attempt_at = now + first_wait`, and after commit a task message is sent
  (`enqueue`, best effort: a broker that is down fails nothing, the row stays);
- **claimed by its task** (`claim`, or the kind's own claim with `leased_until`): `attempts + 1`,
  `next_attempt_at = now + lease`, committed before the work, so a crash leaves the row to the sweep;
- **done**: the row leaves its kind's `pending` filter and is never touched here again.

The periodic sweep of each kind (one beat entry per kind, `setup_periodic_tasks`) sends the task again for
every pending row whose `next_attempt_at` has passed: its message was lost (Redis restarted empty, worker
killed, database connection cut, task failed for good), and moves `next_attempt_at` on by `first_wait` so the
next sweep waits for that message. A row past `max_attempts` is no longer swept: the kind's `give_up` puts it
in front of staff. Doing the work twice is harmless: every task re-checks the row under a lock.

Worst case from the commit of a row to its work being done, when every message is lost but the sweep's:
`first_wait + sweep_every` (+ the run time); when a worker dies mid-task: `lease + sweep_every`.
Timings come from the kind and can be changed per kind with the `WORK_TIMINGS` setting (the harness uses
seconds).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

import kombu.exceptions
from django.apps import apps
from django.conf import settings
from django.db import InterfaceError, OperationalError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

# Errors that go away by themselves: a database connection cut or a failover, the broker unreachable.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    ConnectionError,
)
TIMING_NAMES = ("first_wait", "lease", "sweep_every", "max_attempts")
_kinds: dict[str, Kind] = {}


class RetryOptions(TypedDict):
    """The options `retrying` gives `shared_task` (typed, so that the decorated task keeps its signature)."""

    acks_late: bool
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int
    time_limit: int
    soft_time_limit: int


def retrying(*extra: type[Exception], max_retries: int = 8, time_limit: int) -> RetryOptions:
    """Options of a task that does stored work: acknowledged late, retried with backoff and jitter on transient
    errors (and `extra` ones), hard time limit `time_limit` seconds (soft limit 30 s before it). The broker's
    visibility timeout (`CELERY_BROKER_TRANSPORT_OPTIONS`) is above every task's hard limit."""
    return {
        "acks_late": True,
        "autoretry_for": (*TRANSIENT_ERRORS, *extra),
        "retry_backoff": 2,
        "retry_backoff_max": 300,
        "retry_jitter": True,
        "max_retries": max_retries,
        "time_limit": time_limit,
        "soft_time_limit": time_limit - 30,
    }


@dataclass(frozen=True)
class Kind:
    """One kind of stored work: its model, its task, which rows still have work, and its timings."""

    name: str
    model_label: str
    task_name: str
    # The periodic task that sweeps this kind (one beat entry per kind, named by `label`).
    sweep_task_name: str
    pending: Q
    first_wait: dt.timedelta
    lease: dt.timedelta
    sweep_every: dt.timedelta
    max_attempts: int
    # Called with the pks of pending rows past max_attempts, inside the sweep's transaction.
    give_up: Callable[[list[int]], None] | None = field(default=None, compare=False)
    label: str = ""

    def __post_init__(self) -> None:
        _kinds[self.name] = self

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def timing(self, name: str) -> Any:  # a timedelta or an int, as the named field
        """A timing of this kind, as `WORK_TIMINGS[kind][name]` overrides it (seconds for durations)."""
        override = getattr(settings, "WORK_TIMINGS", {}).get(self.name, {}).get(name)
        default = getattr(self, name)
        if override is None:
            return default
        return dt.timedelta(seconds=override) if isinstance(default, dt.timedelta) else override

    def worst_delay(self) -> dt.timedelta:
        """The longest wait from a committed row to its work starting, whatever message was lost."""
        delay: dt.timedelta = max(self.timing("first_wait"), self.timing("lease")) + self.timing("sweep_every")
        return delay


def kinds() -> list[Kind]:
    """Every kind declared so far (each app declares its kinds in its `work.py`)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("work")
    return sorted(_kinds.values(), key=lambda kind: kind.name)


def get_kind(name: str) -> Kind:
    kinds()
    return _kinds[name]


def first_due(kind: Kind, *, now: dt.datetime | None = None) -> dt.datetime:
    """When the sweep may send a just written (or just queued) row again: its first message had time to run."""
    due_at: dt.datetime = (now or timezone.now()) + kind.timing("first_wait")
    return due_at


def leased_until(kind: Kind, *, now: dt.datetime | None = None) -> dt.datetime:
    """When the sweep may take a row back from the task that claims it now."""
    until: dt.datetime = (now or timezone.now()) + kind.timing("lease")
    return until


def lease_held(kind: Kind, claimed_at: dt.datetime | None, *, now: dt.datetime | None = None) -> bool:
    """Whether a run that claimed a row at `claimed_at` may still be working on it (for kinds whose work must
    not run twice at once: their own claim refuses the row until the lease ends, even when the sweep has
    already sent it again)."""
    return claimed_at is not None and claimed_at + kind.timing("lease") > (now or timezone.now())


def _task(kind: Kind) -> Task[[int], Any]:
    # The task object itself (a module attribute): looking it up in the app's registry would import every task
    # module again, which in a worker runs Django's system checks on every send.
    return cast("Task[[int], Any]", import_string(kind.task_name))


def send(kind: Kind, pk: Any) -> bool:
    """Send the kind's task for one row now; False (logged) when the broker cannot take it: the sweep will."""
    try:
        _task(kind).delay(pk)
    except Exception:  # kombu and redis raise many error types; an in-process run may raise anything
        logger.warning("Could not run or queue %s %s; the sweep will send it again.", kind.name, pk, exc_info=True)
        return False
    return True


def enqueue(kind: Kind, pk: Any) -> None:
    """Send the kind's task for one row once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send(kind, pk))


def requeue(kind: Kind, pks: list[Any]) -> int:
    """Queue rows again now (staff asked, or a provider delivered them again): due later, sent after commit."""
    rows = kind.model._default_manager.filter(kind.pending, pk__in=pks)
    pending = list(rows.order_by("pk").values_list("pk", flat=True))
    kind.model._default_manager.filter(pk__in=pending).update(next_attempt_at=first_due(kind))
    for pk in pending:
        enqueue(kind, pk)
    return len(pending)


def claim(kind: Kind, pk: Any) -> bool:
    """Take one pending row for this task run (attempts + 1, leased); False when its work is done or gone.

    Committed at once, before the work: a run that dies still counts, and the sweep takes the row back
    when the lease ends. Two runs may both claim a row; the work itself re-checks under a row lock.
    """
    with transaction.atomic():
        return bool(
            kind.model._default_manager.filter(kind.pending, pk=pk).update(
                attempts=F("attempts") + 1, next_attempt_at=leased_until(kind)
            )
        )


def due(kind: Kind, *, now: dt.datetime | None = None) -> models.QuerySet[Any]:
    """Pending rows with attempts left whose message is presumed lost (rows written before this mechanism
    have no due time and are due)."""
    now = now or timezone.now()
    return kind.model._default_manager.filter(kind.pending, attempts__lt=kind.timing("max_attempts")).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at=None)
    )


def sweep(kind: Kind, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send the task again for due rows (oldest first, at most `limit`); give up on rows out of attempts.

    Returns how many rows were sent again. Safe to run concurrently: rows are locked and skipped when taken.
    """
    now = now or timezone.now()
    with transaction.atomic():
        exhausted = list(
            kind.model._default_manager.filter(
                kind.pending, attempts__gte=kind.timing("max_attempts"), next_attempt_at__lte=now
            )
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if exhausted:
            logger.error("%s: %d rows out of attempts, for staff: %s", kind.name, len(exhausted), exhausted)
            kind.model._default_manager.filter(pk__in=exhausted).update(next_attempt_at=None)
            if kind.give_up is not None:
                kind.give_up(exhausted)
        rows = due(kind, now=now).order_by("pk").select_for_update(skip_locked=True, of=("self",))
        again = list(rows.values_list("pk", flat=True)[:limit])
        kind.model._default_manager.filter(pk__in=again).update(next_attempt_at=first_due(kind, now=now))
        for pk in again:
            enqueue(kind, pk)
    if again:
        logger.warning("%s: %d rows sent again by the sweep: %s", kind.name, len(again), again[:50])
    return len(again)


def out_of_attempts(kind: Kind) -> models.QuerySet[Any]:
    """Pending rows the sweep no longer sends (out of attempts): staff's to look at, or to queue again."""
    return kind.model._default_manager.filter(kind.pending, attempts__gte=kind.timing("max_attempts"))


# Core's own kinds --------------------------------------------------------------------------------------


def _exports_out_of_attempts(pks: list[int]) -> None:
    from crm.core.exports.services import give_up_exports

    give_up_exports(pks)


OUTBOX = Kind(
    name="core.outbox",
    label="Outbox: dispatch pending events",
    model_label="core.OutboxEvent",
    task_name="crm.core.tasks.dispatch_event_task",
    sweep_task_name="crm.core.tasks.dispatch_pending_events_task",
    pending=Q(dispatched_at=None),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=360),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=20,
)

EXPORTS = Kind(
    name="core.export",
    label="Exports: build the exports whose task was lost",
    model_label="core.ExportJob",
    task_name="crm.core.tasks.run_export_task",
    sweep_task_name="crm.core.tasks.sweep_exports_task",
    pending=Q(status__in=["pending", "running"]),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=960),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=3,
    give_up=_exports_out_of_attempts,
)
