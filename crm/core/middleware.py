from collections.abc import Callable
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from crm.core import context

# Paths whose callers are programs: they get the API's JSON error body, never an HTML page.
API_PATH_PREFIXES = ("/api/", "/webhooks/", "/tradersroom/api/")
NUL_REFUSED = "NUL characters (\\u0000) are not allowed."


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


class RefuseNulInQueryMiddleware:
    """A query string with a NUL character is refused (400) before any view: no parameter takes one, and in a
    filter or an admin search it would reach PostgreSQL, which cannot hold it, as a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            if request.path.startswith(API_PATH_PREFIXES):
                from crm.core.api.errors import error_body  # DRF imports this module's helpers at start-up

                return JsonResponse(error_body("parse_error", NUL_REFUSED), status=400)
            return HttpResponseBadRequest(NUL_REFUSED)
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """A 404 under the API paths answers the API's JSON error body, never an HTML page: with DEBUG on, Django
    would show its technical 404 page for a path no route matches (handler404 only runs with DEBUG off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith(API_PATH_PREFIXES)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from crm.core.api.errors import error_body  # DRF imports this module's helpers at start-up

            return JsonResponse(error_body("not_found", "Not found."), status=404)
        return response
