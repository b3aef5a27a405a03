"""Periodic tasks outside the worker: the beat schedule run inside the web process in the embedded default
(`manage.py serve`), and "Run now" for the staff who depend on a job.

Which staff may run which task is declared by each app's `roles.py` (`RUN_NOW`, see crm.core.roles); holders of
`django_celery_beat.change_periodictask` (the Admin role) may run every task. With a broker a task run now is
queued for the worker; in the embedded default (tasks in-process) it runs at once in the request.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from celery import Celery, current_app
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError, NotFound, PermissionDenied
from crm.core.roles import collected_run_now
from crm.core.services import record_activity

if TYPE_CHECKING:
    from threading import Thread

    from crm.core.typing import PermissionHolder

logger = logging.getLogger(__name__)
EVERY_TASK = "django_celery_beat.change_periodictask"


class TaskFailed(DomainError):
    code = "task_failed"


def celery_app() -> Celery:
    """The project's Celery app with every task module imported (beat and "Run now" look tasks up by name)."""
    app: Celery = current_app._get_current_object()  # type: ignore[attr-defined]  # a Proxy at run time
    app.loader.import_default_modules()
    return app


def may_run(user: PermissionHolder | None, task_name: str) -> bool:
    """Whether `user` may run the periodic task `task_name` now."""
    if not (user and user.is_active and user.is_staff):
        return False
    if user.has_perm(EVERY_TASK):
        return True
    permission = collected_run_now().get(task_name)
    return bool(permission) and user.has_perm(str(permission))


def runnable_task_names(user: PermissionHolder) -> set[str] | None:
    """The task names `user` may run now; None means every task."""
    if user.has_perm(EVERY_TASK):
        return None
    return {name for name, permission in collected_run_now().items() if user.has_perm(permission)}


def run_task_now(
    task_name: str,
    *,
    actor: PermissionHolder,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    label: str = "",
) -> bool:
    """Run one periodic task at once (recorded as `periodic_task.run_now`); True when it ran in this process,
    False when it was queued for a worker. A task that fails in-process is refused with its error."""
    if not may_run(actor, task_name):
        raise PermissionDenied(_("You may not run this task."))
    task = celery_app().tasks.get(task_name)
    if task is None:
        raise NotFound(_("No task named %(task_name)s.") % {"task_name": task_name})
    record_activity(actor=actor, action="periodic_task.run_now", data={"task": task_name, "name": label})
    try:
        task.apply_async(
            args=tuple(args or ()), kwargs=kwargs or {}, headers={"periodic_task_name": label or task_name}
        )
    except Exception as exc:  # the task's own error, raised in-process by an eager run
        logger.exception("Periodic task %s run by %s failed", task_name, actor)
        raise TaskFailed(_("%(label)s failed: %(exc)s") % {"label": label or task_name, "exc": exc}) from exc
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def run_periodic_jobs(task_names: list[str], *, actor: PermissionHolder) -> None:
    """Run several periodic tasks now, in order (e.g. the commission run, then the hold-period approvals)."""
    for name in task_names:
        run_task_now(name, actor=actor)


def start_embedded_beat() -> Thread:
    """Run the beat schedule stored in the database (django-celery-beat) in a daemon thread of this process.

    Only for the embedded default, where tasks run in-process: every due task runs in that thread, and the
    schedule, its last runs and run counts are the ones staff see in the admin. Returns the running service.
    """
    from celery.beat import EmbeddedService
    from django_celery_beat.schedulers import DatabaseScheduler

    class EmbeddedScheduler(DatabaseScheduler):  # type: ignore[misc]  # django-celery-beat ships no types
        """django-celery-beat's scheduler in a thread of ours: its database connections close when it stops."""

        def close(self) -> None:
            super().close()
            connections.close_all()

    service = EmbeddedService(celery_app(), thread=True, scheduler_cls=EmbeddedScheduler)
    service.start()  # type: ignore[union-attr]  # thread=True: a Thread, not a Process
    return service  # type: ignore[return-value]  # the same
