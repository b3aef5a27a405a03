"""Who is acting and from where, for the activity log, without passing the request down.

The middleware sets it for web requests, `task_context` for Celery tasks and commands.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    channel: str = "system"  # admin, api, portal, task:<name>, command:<name>, system


_SYSTEM = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _SYSTEM


@contextlib.contextmanager
def use_context(*, ip: str | None = None, channel: str) -> Iterator[RequestContext]:
    ctx = RequestContext(ip=ip, channel=channel)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
