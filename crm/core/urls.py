"""Core URLs outside the API routers (signed file downloads)."""

from pathlib import PurePath

from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from crm.core.files import LinkRefused, unsign_file_token

app_name = "core"


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def private_file(request: HttpRequest, token: str) -> FileResponse:
    """Stream a private file to the user the signed link was made for (admin session or API token)."""
    try:
        signed = unsign_file_token(token, user=request.user)
    except LinkRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    storage = storages[signed.storage_alias]
    if not storage.exists(signed.name):
        raise Http404
    response = FileResponse(storage.open(signed.name, "rb"), as_attachment=True, filename=PurePath(signed.name).name)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("files/<str:token>/", private_file, name="private-file"),
]
