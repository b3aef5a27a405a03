"""The report download link (a `token` query parameter) and the trading platform's admin notification paths."""

from __future__ import annotations

from pathlib import PurePath

from django.http import FileResponse, HttpRequest
from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny

from crm.core.exceptions import DomainError
from crm.reports.api import notifications
from crm.reports.services import run_for_token

app_name = "reports"


@extend_schema(exclude=True)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def download(request: HttpRequest) -> FileResponse:
    """Stream a finished report's file to whoever holds a token made for that run (its own salt, expiring)."""
    try:
        run = run_for_token(request.GET.get("token", ""))
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    response = FileResponse(run.file.open("rb"), as_attachment=True, filename=PurePath(run.file.name or "report").name)
    response["Cache-Control"] = "private, no-store"
    return response


PLATFORM_NOTIFICATIONS = r"^notification/api/v1/admin-notifications"

urlpatterns = [
    path("reports/download/", download, name="download"),
    # The trading platform's admin notifications, at its paths (a trailing slash is also accepted).
    re_path(rf"{PLATFORM_NOTIFICATIONS}/?$", notifications.admin_notifications, name="admin-notifications"),
    re_path(
        rf"{PLATFORM_NOTIFICATIONS}/unread-count/?$",
        notifications.admin_notifications_unread_count,
        name="admin-notifications-unread-count",
    ),
    re_path(
        rf"{PLATFORM_NOTIFICATIONS}/mark-as-read/?$",
        notifications.admin_notifications_mark_read,
        name="admin-notifications-mark-read",
    ),
    re_path(
        rf"{PLATFORM_NOTIFICATIONS}/mark-all-as-read/?$",
        notifications.admin_notifications_mark_all_read,
        name="admin-notifications-mark-all-read",
    ),
]
