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
import socket
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


class Process:
    """One child process in its own process group; `log` holds everything it printed."""

    name = "process"

    def __init__(self, *, env: dict[str, str], folder: Path) -> None:
        self.number = next(_numbers)
        self.env = env
        self.folder = folder
        self.log = folder / f"{self.name}-{self.number}.log"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Process:
        command = self.command()
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

    def wait_ready(self, timeout: float = 30) -> Process:
        """Until the worker consumes (its queue is declared, so a message published now is routed to it)."""

        def ready() -> bool:
            if not self.running:
                raise WorkerFailed(f"{self.name} {self.number} exited while starting:\n{self.output()[-8000:]}")
            return " ready." in self.output()

        wait_until(ready, timeout=timeout, what=f"{self.name} {self.number} ready", logs=[self])
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


class Worker(Process):
    """A Celery worker (solo pool) on the harness settings."""

    name = "worker"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--hostname",
            f"harness{self.number}-{os.getpid()}@%h",
        ]


class Beat(Process):
    """Celery beat on the schedule stored in the test database (django-celery-beat), as `Procfile` runs it."""

    name = "beat"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
            f"--pidfile={self.folder / f'beat-{self.number}.pid'}",
        ]

    def wait_ready(self, timeout: float = 30) -> Beat:
        wait_until(lambda: "beat: Starting..." in self.output(), timeout=timeout, what="beat started", logs=[self])
        return self


class RedisServer(Process):
    """A private redis-server on its own port, nothing persisted: stopped and started again it is empty."""

    name = "redis"

    def __init__(self, *, port: int, folder: Path) -> None:
        super().__init__(env=dict(os.environ), folder=folder)
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder),
        ]  # fmt: skip

    def wait_ready(self, timeout: float = 10) -> RedisServer:
        def answers() -> bool:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False
            finally:
                client.close()

        wait_until(answers, timeout=timeout, what=f"redis on port {self.port}", logs=[self])
        return self


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def attempts_log(gate: Path) -> Path:
    """Where the gated handler (worker_handlers.py) notes each attempt: outside the database, so a kill keeps it."""
    return gate.with_name(f"{gate.name}.attempts")


def wait_until(
    condition: Callable[[], object], *, timeout: float, what: str, logs: Iterable[Process] = (), every: float = 0.1
) -> object:
    """Poll `condition` until it returns something true; fail with the workers' output after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            output = "\n".join(f"--- {w.name} {w.number} ({w.log}) ---\n{w.output()[-8000:]}" for w in logs)
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
