"""Jobs that run Python in one thread while another waits on the database."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# How long a thread that wants the GIL back waits before the running thread is asked to give it up.
SWITCH_INTERVAL = 0.0005  # seconds; Python's default is 0.005

_lock = threading.Lock()
_users = 0
_saved = 0.0


@contextmanager
def quick_handoffs() -> Iterator[None]:
    """Inside, a thread back from the database gets the GIL within SWITCH_INTERVAL of asking, not 5 ms.

    A lead import reads and validates its next batch in one thread (pure Python, holding the GIL) while the
    other writes the current one (mostly waiting on PostgreSQL, the GIL released). Each time the writer's
    answer arrives it has to wait for the reader to be told to let go of the GIL, which Python does only
    after the switch interval: with the default 5 ms, a statement the server answers in 2 ms took about
    10 ms to come back while the other thread was busy (about seven round trips a batch), and the writer,
    on the import's critical path, spent a quarter of its time so. Switching more often costs the reader
    little: the writer asks rarely and gives the GIL back at its next wait.

    Process-wide (the interval is the interpreter's): the first of overlapping users sets it, the last one
    out puts back what was there before.
    """
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _saved))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setswitchinterval(_saved)
