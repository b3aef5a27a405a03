"""Serializer fields shared by every API."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from crm.core.files import signed_file_url


def signed_file_link(request: Request, fieldfile: FieldFile) -> str:
    """An absolute link to a private file that only the caller can open, for a short while."""
    return request.build_absolute_uri(signed_file_url(fieldfile, user=request.user))


@extend_schema_field(OpenApiTypes.URI)
class SignedFileLinkField(serializers.Field):
    """A file field shown as `signed_file_link` for the caller; null when there is no file (set `allow_null`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, fieldfile: FieldFile) -> str | None:
        return signed_file_link(self.context["request"], fieldfile) if fieldfile else None
