import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from crm.core import context
from crm.core.i18n import activate_for_request

# Paths whose callers are programs: they get the API's JSON error body, never an HTML page.
API_PATH_PREFIXES = (
    "/api/",
    "/webhooks/",
    "/tradersroom/api/",
    "/frontoffice/api/",
    "/marketdata/api/",
    "/notification/api/",
    "/back-api/",
)
request_logger = logging.getLogger("django.request")
NUL_REFUSED = "NUL characters (\\u0000) are not allowed."


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: the one place every throttle, lock-out, login record, activity row and IP allow-list
    reads it (README: behind a proxy).

    `REMOTE_ADDR` by default; `X-Forwarded-For` is never trusted then, because any client can send it. With
    `TRUSTED_PROXY_COUNT = n` (a deployment behind exactly n proxies that each append the address they received
    the request from), the address is the n-th entry of `X-Forwarded-For` counted from the right: entries further
    left were written by the client. A header with fewer entries, or an entry that is no IP address, means the
    request did not come through the proxies, so `REMOTE_ADDR` is used.
    """
    remote = _ip_or_none(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < proxies:
        return remote
    return _ip_or_none(forwarded[-proxies]) or remote


def content_length(request: HttpRequest) -> int:
    """The body size the caller announced (what Django will read at most); 0 when missing or not a number."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


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


class StaffLanguageMiddleware:
    """The admin (and the back-office API through a staff session) in the staff member's own language.

    After `AuthenticationMiddleware`; `LocaleMiddleware` has already chosen from `Accept-Language`, which stays
    for staff who chose no language. Portal and affiliate callers get their client's language when DRF
    authenticates them (crm.users.api.authentication, crm.affiliates.api.authentication).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            activate_for_request(request, user.language)
        return self.get_response(request)


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
            refused = _("NUL characters (\\u0000) are not allowed.")
            if request.path.startswith(API_PATH_PREFIXES):
                from crm.core.api.errors import error_body  # DRF imports this module's helpers at start-up

                return JsonResponse(error_body("parse_error", refused), status=400)
            return HttpResponseBadRequest(refused)
        return self.get_response(request)


class ApiBodyErrorMiddleware:
    """Errors under the API paths answer the API's error body, never an HTML page, DEBUG or not.

    A body Django refuses while a view reads it (larger than DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or
    files, unreadable) answers 413 or 400. Django would answer an HTML page (its 400 page, or the technical page
    under DEBUG). The API's parsers (`crm.core.api.parsers`) refuse such bodies themselves; this covers the views
    that read `request.body` or `request.POST` directly (webhooks) and anything else that does.

    Any other uncaught error answers 500 `server_error`: with DEBUG off Django's handler500
    (`crm.core.api.views.server_error`) does it; with DEBUG on (the embedded default, `config.settings.local`)
    Django would send its technical page, traceback and settings included, to a provider or a portal, so this
    answers instead, after logging the error as Django does (logger `django.request`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PATH_PREFIXES):
            return None
        # DRF imports this module's helpers at start-up.
        from crm.core.api.errors import error_body

        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(error_body("too_large", _("The request body is too large.")), status=413)
        if isinstance(exception, SuspiciousOperation | BadRequest):
            return JsonResponse(error_body("bad_request", _("The request cannot be read.")), status=400)
        if settings.DEBUG and not isinstance(exception, Http404 | PermissionDenied):
            request_logger.error(
                "Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500}
            )
            return JsonResponse(error_body("server_error", _("Server error.")), status=500)
        return None


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

            return JsonResponse(error_body("not_found", _("Not found.")), status=404)
        return response
