from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import error_body
from crm.core.middleware import API_PATH_PREFIXES


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_cache() -> str:
    if hasattr(cache, "ping"):
        cache.ping()  # the fail-soft Redis cache answers misses when down: ask Redis itself
    cache.set("health:probe", "1", timeout=5)
    return "ok" if cache.get("health:probe") == "1" else "error: the cache does not keep what it is given"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.REDIS_URL:
        return "in-process"
    from config.celery_app import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
HEALTH_FIELDS: "dict[str, serializers.Field[Any, Any, Any, Any]]" = {
    "status": serializers.ChoiceField(
        choices=["ok", "degraded", "down"],
        help_text="ok: every part works. degraded: the cache or the broker is down; requests, webhooks and "
        "payments still work (throttling is off without the cache, tasks wait for the sweeps without the broker). "
        "down: the database is unreachable.",
    ),
    "database": serializers.CharField(help_text="ok, or error: <reason>"),
    "cache": serializers.CharField(help_text="ok, or error: <reason>"),
    "broker": serializers.CharField(help_text="ok, in-process (no broker configured), or error: <reason>"),
    "degraded": serializers.ListField(child=serializers.CharField(), help_text="The parts that are not ok."),
}


@extend_schema(
    summary="Service health",
    description="Each part (database, cache, Celery broker) as ok or `error: <reason>`. 200 `ok` or `degraded` "
    "(the cache or the broker is down: the service still takes requests and webhooks); 503 `down` only when "
    "the database is unreachable.",
    responses={
        (200, "application/json"): inline_serializer("Health", HEALTH_FIELDS),
        (503, "application/json"): inline_serializer("HealthDown", HEALTH_FIELDS),
    },
    tags=["health"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request: Request) -> Response:
    """Reports each dependency as ok, or as `error: <reason>`, and which are degraded; never raises."""
    body: dict[str, object] = {}
    for name, check in CHECKS.items():
        try:
            body[name] = check()
        except Exception as exc:  # any failure of a dependency is a health answer, not a 500
            body[name] = f"error: {exc.__class__.__name__}"
    degraded = [name for name in CHECKS if str(body[name]).startswith("error")]
    if "database" in degraded:
        return Response({"status": "down", **body, "degraded": degraded}, status=503)
    return Response({"status": "degraded" if degraded else "ok", **body, "degraded": degraded}, status=200)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 outside any view (a refused host or body): the API's error body under the API paths."""
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: the API's error body under the API paths (never a stack trace), the site's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("server_error", _("Server error.")), status=500)
    return defaults.server_error(request)
