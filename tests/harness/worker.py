"""A real Celery worker in a subprocess, on the test database and the test Redis DB.

`Worker.start()` runs `celery worker --pool=solo` with tests/harness/worker_settings.py in its own process
group and its output in a log file; `kill()` SIGKILLs the whole group (a crash, nothing acknowledged);
`stop()` asks for a warm shutdown and kills what is left. `wait_until()` polls a condition and fails with
the workers' logs when it stays false.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import redis
from django.conf import settings

# Keys of the kombu Redis transport: queues (one per priority step), unacknowledged messages and
# their index and mutex, bindings and the reply queues of remote control.
BROKER_KEY_PATTERNS = ("celery*", "unacked*", "_kombu.*", "*.reply.celery.pidbox")
_numbers = itertools.count(1)


class WorkerFailed(AssertionError):
    pass


class Worker:
    """One worker process; `log` holds everything it printed."""

    def __init__(self, *, env: dict[str, str], folder: Path) -> None:
        self.number = next(_numbers)
        self.env = env
        self.log = folder / f"worker-{self.number}.log"
        self.process: subprocess.Popen | None = None

    def arguments(self) -> list[str]:
        return [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--hostname",
            f"harness{self.number}-{os.getpid()}@%h",
        ]

    def start(self) -> Worker:
        command = [sys.executable, "-m", "celery", "-A", "config.celery_app", *self.arguments()]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 30) -> Worker:
        """Until the worker consumes (its queue is declared, so a message published now is routed to it)."""

        def ready() -> bool:
            if not self.running:
                raise WorkerFailed(f"worker {self.number} exited while starting:\n{self.output()[-8000:]}")
            return " ready." in self.output()

        wait_until(ready, timeout=timeout, what=f"worker {self.number} ready", logs=[self])
        return self

    def kill(self) -> None:
        """SIGKILL the worker and any child: no shutdown, no acknowledgement, as in a crash or an OOM kill."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """Warm shutdown (SIGTERM); SIGKILL when it takes longer than `timeout`."""
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Beat(Worker):
    """Celery beat on the schedule stored in the database (django-celery-beat), checking it every second."""

    def arguments(self) -> list[str]:
        return [
            "beat",
            "--loglevel=INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--max-interval",
            "1",
            "--pidfile=",
            "--schedule",
            str(self.log.with_suffix(".schedule")),
        ]


def attempts_log(gate: Path) -> Path:
    """Where the gated handler (worker_handlers.py) notes each attempt: outside the database, so a kill keeps it."""
    return gate.with_name(f"{gate.name}.attempts")


def wait_until(
    condition: Callable[[], object], *, timeout: float, what: str, logs: Iterable[Worker] = (), every: float = 0.1
) -> object:
    """Poll `condition` until it returns something true; fail with the workers' output after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            output = "\n".join(f"--- worker {w.number} ({w.log}) ---\n{w.output()[-8000:]}" for w in logs)
            raise WorkerFailed(f"{what}: not after {timeout} s\n{output}")
        time.sleep(every)


def purge_broker(url: str) -> int:
    """Delete the broker's keys in this Redis database only (never FLUSHALL); returns how many."""
    client = redis.Redis.from_url(url)
    try:
        keys = {key for pattern in BROKER_KEY_PATTERNS for key in client.scan_iter(match=pattern)}
        return client.delete(*keys) if keys else 0
    finally:
        client.close()
