"""The API's throttles: DRF's, keyed by the caller's address as `crm.core.middleware.client_ip` reads it.

DRF's own `get_ident` believes `X-Forwarded-For` whenever `NUM_PROXIES` is unset, so any client could pick a
fresh identity per request. Every throttle of the project derives from `ClientAddressThrottle` (the harness
checks it), so they all follow the one rule.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.request import Request

from crm.core.middleware import client_ip


class ClientAddressThrottle(throttling.SimpleRateThrottle):
    """Base of every throttle here: anonymous callers are told apart by `client_ip` alone."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or ""


class AnonRateThrottle(ClientAddressThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressThrottle, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressThrottle, throttling.ScopedRateThrottle):
    pass
