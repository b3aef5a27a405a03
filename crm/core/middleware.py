from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from crm.core import context


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR (see README)."""
    return request.META.get("REMOTE_ADDR") or None


def channel_for_path(path: str) -> str:
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/v1/portal/"):
        return "portal"
    if path.startswith("/api/v1/affiliate/"):
        return "affiliate"
    if path.startswith(("/api/", "/tradersroom/")):
        return "api"
    if path.startswith("/webhooks/"):
        return "webhook"
    return "web"


class RequestContextMiddleware:
    """Makes the caller's IP and channel available to services writing the activity log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.use_context(ip=client_ip(request), channel=channel_for_path(request.path)):
            return self.get_response(request)
