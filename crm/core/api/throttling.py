"""The API's throttles: DRF's, keyed by the caller's address as `crm.core.middleware.client_ip` reads it.

DRF's own `get_ident` believes `X-Forwarded-For` whenever `NUM_PROXIES` is unset, so any client could pick a
fresh identity per request. Every throttle of the project derives from `ClientAddressThrottle` (the harness
checks it), so they all follow the one rule.

Throttle history lives in the cache. While the cache (Redis) is unreachable, every throttle allows: the
cache backend (`crm.core.cache.FailSoftRedisCache`) answers a miss and logs the outage, and a throttle whose
cache raises anyway allows the request and logs it. Refusing every request because a cache is down would
turn a Redis outage into a full outage (README: production, when Redis is down).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request

from crm.core.middleware import client_ip

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ClientAddressThrottle(throttling.SimpleRateThrottle):
    """Base of every throttle here: anonymous callers are told apart by `client_ip` alone."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or ""

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (ConnectionError, OSError) as exc:  # a cache backend that raises when its server is unreachable
            logger.warning("Throttle %s allowed a request: the cache is unreachable (%s).", self.scope, exc)
            return True


class AnonRateThrottle(ClientAddressThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressThrottle, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressThrottle, throttling.ScopedRateThrottle):
    pass
