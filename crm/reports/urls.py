"""The report download link of emails and of the API's `download-link` (a `token` query parameter, as in 000)."""

from __future__ import annotations

from pathlib import PurePath

from django.http import FileResponse, HttpRequest
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny

from crm.core.exceptions import DomainError
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


urlpatterns = [path("reports/download/", download, name="download")]
