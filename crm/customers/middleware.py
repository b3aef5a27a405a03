"""Portal requests keep the client's `last_activity_at` current (throttled to a write a minute per client)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from crm.customers.services import record_client_activity
from crm.users.security import IMPERSONATOR_CLAIM

PORTAL_PREFIX = "/api/v1/portal/"


class ClientActivityMiddleware:
    """After a portal request the client made themselves and that succeeded, stamp their last activity.

    DRF authenticates inside the view and sets `user` and `auth` on this request too, so the JWT's client is
    known here after the response; a staff member logged in as the client (impersonation) is not the client.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(PORTAL_PREFIX) and response.status_code < 400:
            user = getattr(request, "user", None)
            auth = getattr(request, "auth", None)
            impersonated = auth is not None and hasattr(auth, "get") and auth.get(IMPERSONATOR_CLAIM) is not None
            if user is not None and user.is_authenticated and not user.is_staff and not impersonated:
                record_client_activity(user.pk)
        return response
