"""Serializer fields shared by every API."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db.models.fields.files import FieldFile
from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from crm.core.files import signed_file_url


def signed_file_link(request: Request, fieldfile: FieldFile) -> str:
    """An absolute link to a private file that only the caller can open, for a short while."""
    return request.build_absolute_uri(signed_file_url(fieldfile, user=request.user))


@extend_schema_field(OpenApiTypes.URI)
class SignedFileLinkField(serializers.Field[FieldFile, None, str | None, Any]):
    """A file field shown as `signed_file_link` for the caller; null when there is no file (set `allow_null`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, fieldfile: FieldFile) -> str | None:
        return signed_file_link(self.context["request"], fieldfile) if fieldfile else None


# Typed shapes for values kept in JSON model fields: a generated client gets real types, and input is checked.


def country_list(**kwargs: Any) -> serializers.ListField:
    """ISO 3166-1 alpha-2 country codes, e.g. `["GB", "DE"]`."""
    return serializers.ListField(child=CountryField(), **kwargs)  # type: ignore[no-untyped-call]  # django-countries


class AmountListField(serializers.ListField):
    """Amounts kept in a JSON field, e.g. `["50", "100"]`: decimal strings in and out, never floats."""

    child = serializers.DecimalField(max_digits=28, decimal_places=8, min_value=Decimal(0), normalize_output=True)

    def to_internal_value(self, data: Any) -> list[str]:
        return [format(amount, "f") for amount in super().to_internal_value(data)]


SCALAR_SCHEMA = {"type": ["string", "number", "boolean", "null"]}
# A value of the activity log: a scalar, or a list or map of scalars; anything nested deeper is given as JSON text.
ACTIVITY_VALUE_SCHEMA = {
    "oneOf": [
        SCALAR_SCHEMA,
        {"type": "array", "items": SCALAR_SCHEMA},
        {"type": "object", "additionalProperties": SCALAR_SCHEMA},
    ]
}


# A value to compare with (filters, conditions): a string, number or boolean, or a list of them (one of which).
MATCH_VALUE_SCHEMA = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}},
    ]
}


@extend_schema_field(MATCH_VALUE_SCHEMA)
class MatchValueField(serializers.JSONField):
    """A string, number or boolean, or a list of them (validated by whoever compares with it)."""


@extend_schema_field(SCALAR_SCHEMA)
class ScalarField(serializers.Field[Any, None, Any, Any]):
    """A string, number, boolean or null, shown as it is (read only)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value


def activity_value(value: Any) -> Any:
    """A logged value in the shape of ACTIVITY_VALUE_SCHEMA."""
    if isinstance(value, list):
        return [_scalar(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _scalar(item) for key, item in value.items()}
    return value


def _scalar(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list | dict) else value
