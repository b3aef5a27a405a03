"""Stopping a server a bench started in its own process group (gunicorn, daphne and their workers)."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM the group, then SIGKILL it when it has not exited within 30 s; nothing when it is not running."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
