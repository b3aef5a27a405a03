"""`manage.py serve`: runserver, plus the periodic tasks of the beat schedule when tasks run in-process.

The embedded default (no `REDIS_URL`) has no worker and no beat process, so this runs the schedule stored in the
database (the one staff see in the admin under Periodic tasks) in a thread of the serving process: commissions,
outbox sweeps, payout sweeps ... happen as they do in production. With a broker it is plain runserver (run the
`beat` and `worker` processes, see the Procfile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management import get_commands, load_command_class

from crm.core.periodic import start_embedded_beat

# Whichever runserver is active (whitenoise's, staticfiles', Django's), so `serve` behaves as it does.
if TYPE_CHECKING:
    from django.core.management.commands.runserver import Command as RunserverCommand
else:
    RunserverCommand = type(load_command_class(get_commands()["runserver"], "runserver"))


class Command(RunserverCommand):
    help = "Start the development server; in the embedded default also run the beat schedule in-process."

    def inner_run(self, *args: Any, **options: Any) -> None:
        # inner_run runs in the serving process only (not in the autoreloader's watcher), once per (re)start.
        if settings.CELERY_TASK_ALWAYS_EAGER:
            start_embedded_beat()
            self.stdout.write("Periodic tasks: the beat schedule runs in this process (tasks in-process).")
        else:
            self.stdout.write("Periodic tasks: run `celery -A config beat` and a worker (a broker is configured).")
        super().inner_run(*args, **options)
