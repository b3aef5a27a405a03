"""The cache backend for Redis: Redis is a cache here, never the source of truth, so an unreachable Redis is a miss.

`FailSoftRedisCache` is Django's `RedisCache` whose reads answer "not cached" and whose writes do nothing while
Redis cannot be reached (connection refused, timeout; connections time out after the `socket_connect_timeout`
and `socket_timeout` of `CACHES["default"]["OPTIONS"]`, 1 s by default). What that means for its users:

- the settings store (`crm.core.services.get_setting`) reads every setting from the database;
- throttles (`crm.core.api.throttling`) see no history, so every request is allowed: throttling is off for the
  outage, and the log says so (a warning at most every 30 s, logger `crm.core.cache`);
- `/api/health/` reports the cache as degraded (`ping()` raises).

Sessions, the admin lock-out (django-axes) and everything else that must hold live in PostgreSQL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 30.0


class FailSoftRedisCache(RedisCache):
    """RedisCache that answers a miss (and stores nothing) while Redis is unreachable, and logs it."""

    _last_warning = 0.0

    def _unreachable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - FailSoftRedisCache._last_warning >= WARN_EVERY:
            FailSoftRedisCache._last_warning = now
            logger.warning(
                "Cache unreachable (%s: %s): answered as a miss; settings come from the database and throttles "
                "allow every request until it is back.",
                operation,
                exc,
            )

    def ping(self) -> bool:
        """True when Redis answers; raises its connection error otherwise (for the health check)."""
        return bool(self._cache.get_client(write=True).ping())

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNREACHABLE as exc:
            self._unreachable("get", exc)
            return default

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        try:
            return super().get_many(keys, version)
        except UNREACHABLE as exc:
            self._unreachable("get_many", exc)
            return {}

    def has_key(self, key: str, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNREACHABLE as exc:
            self._unreachable("has_key", exc)
            return False

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE as exc:
            self._unreachable("add", exc)
            return False

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as exc:
            self._unreachable("set", exc)

    def set_many(self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[str]:
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE as exc:
            self._unreachable("set_many", exc)
            return list(data)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE as exc:
            self._unreachable("touch", exc)
            return False

    def delete(self, key: str, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNREACHABLE as exc:
            self._unreachable("delete", exc)
            return False

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNREACHABLE as exc:
            self._unreachable("delete_many", exc)
