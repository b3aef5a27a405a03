"""A real gunicorn server with several worker processes, on the test database and without Redis.

What a single process cannot show (a decision kept in one worker's memory) shows here: requests sent at once
land in different processes. `Server.start()` runs gunicorn with tests/harness/server_settings.py in its own
process group, `stop()` ends the group. The test must have committed what the server should see
(`transactional_db`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.harness.worker import WorkerFailed, wait_until


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    cookies: tuple[str, ...] = ()

    def cookie(self, name: str) -> str:
        return next(c.split(";")[0].split("=", 1)[1] for c in self.cookies if c.startswith(f"{name}="))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with `workers` sync worker processes on a free local port; `log` holds its output."""

    def __init__(self, *, folder: Path, workers: int = 4) -> None:
        self.workers = workers
        self.port = _free_port()
        self.log = folder / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.harness.server_settings",
            "HARNESS_DATABASE_NAME": connection.settings_dict["NAME"],
            "REDIS_URL": "",
        }
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "60",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._ready, timeout=60, what="gunicorn ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise WorkerFailed(f"gunicorn exited while starting:\n{self.output()[-8000:]}")
        booted = self.output().count("Booting worker")
        return booted >= self.workers and self.request("GET", "/api/health/").status in (200, 503)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        request = urllib.request.Request(self.url + path, data=body, headers=headers or {}, method=method)  # noqa: S310
        try:
            with _opener.open(request, timeout=60) as raw:
                return Answer(raw.status, raw.read(), tuple(raw.headers.get_all("Set-Cookie") or ()))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.read(), tuple(exc.headers.get_all("Set-Cookie") or ()))
        except (urllib.error.URLError, ConnectionError):
            return Answer(0, b"")

    def together(self, count: int, method: str, path: str, **kwargs) -> list[Answer]:
        """The same request `count` times, sent at once from as many threads."""
        barrier = threading.Barrier(count)

        def send(_):
            barrier.wait(timeout=30)
            return self.request(method, path, **kwargs)

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(send, range(count)))
