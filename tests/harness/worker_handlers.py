"""Event handlers only the harness worker loads (CELERY_IMPORTS in worker_settings).

`wait_for_gate` runs after the product's handlers of `deposit.completed`. When the worker was started
with HARNESS_GATE=<path>, it notes each attempt in `<gate>.attempts`, outside the database,
so the note survives a killed worker, then waits until the gate file exists: the test kills the worker
while it waits, in the middle of the outbox dispatch task. Without HARNESS_GATE it does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from crm.core.events import handles
from crm.core.models import OutboxEvent
from tests.harness.worker import attempts_log

GATE_TIMEOUT = 60


@handles("deposit.completed")
def wait_for_gate(event: OutboxEvent) -> None:
    """Blocks until the gate opens; a worker killed here leaves the message unacknowledged."""
    gate = os.environ.get("HARNESS_GATE")
    if not gate:
        return
    gate = Path(gate)
    with attempts_log(gate).open("a") as log:
        log.write(f"{event.pk}\n")
    deadline = time.monotonic() + GATE_TIMEOUT
    while not gate.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {gate} stayed closed")
        time.sleep(0.05)
