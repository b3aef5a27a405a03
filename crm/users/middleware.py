"""Times in the admin in the staff member's own time zone (`User.time_zone`), the server's zone otherwise."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class StaffTimeZoneMiddleware:
    """Activates the logged-in staff member's time zone for the request (after AuthenticationMiddleware).

    Dates are stored in UTC; only what pages and forms show moves to the chosen zone. API answers keep ISO 8601
    with their offset, so they stay unambiguous whatever zone is active.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            if name:
                timezone.activate(zoneinfo.ZoneInfo(name))
            return self.get_response(request)
        finally:
            timezone.deactivate()
