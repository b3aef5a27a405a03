"""`make run`: links built outside a request point at the address it serves on."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def run_make(tmp_path: Path, *args: str, **env: str) -> list[str]:
    """`make run` with a stand-in interpreter that records each command and the SITE_URL it was given."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.txt"
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$* SITE_URL=$SITE_URL" >> {log}\n')
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than the requirements: nothing to install
    environment = {key: value for key, value in os.environ.items() if key != "SITE_URL"} | env
    subprocess.run(  # noqa: S603 - our Makefile, with arguments of this test
        [str(MAKE), "--no-print-directory", "run", f"VENV={venv}", *args],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    return log.read_text().splitlines()


def test_make_run_gives_the_served_port_to_the_links(tmp_path):
    calls = run_make(tmp_path, "PORT=8123")

    assert calls == [
        "manage.py migrate --noinput SITE_URL=http://127.0.0.1:8123",
        "manage.py seed_demo SITE_URL=http://127.0.0.1:8123",
        "manage.py serve 127.0.0.1:8123 SITE_URL=http://127.0.0.1:8123",
    ]


def test_a_site_url_set_by_the_operator_wins(tmp_path):
    calls = run_make(tmp_path, "PORT=8123", SITE_URL="https://crm.example.com")

    assert all(call.endswith("SITE_URL=https://crm.example.com") for call in calls)
