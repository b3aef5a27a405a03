"""Plausible request bodies and query strings, read from the OpenAPI schema of each operation.

The matrix sends a body that would pass validation, so an endpoint that checks its input before it looks
the object up still reaches the look-up, and a leaky endpoint would really write. Only required fields are
filled (with values that fit their type, format, enum and bounds); the registry adds what the schema cannot
know (ids of related rows).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.customers.factories import PDF_BYTES

MAX_DEPTH = 6


@cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@cache
def _operations() -> dict[tuple[str, str], dict]:
    return {
        (_normal(path), method.upper()): operation
        for path, operations in _schema()["paths"].items()
        for method, operation in operations.items()
    }


def operation(path: str, method: str) -> dict | None:
    """The OpenAPI operation of a route (None when the schema leaves the route out)."""
    return _operations().get((_normal(path), method))


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = _schema()["components"]["schemas"][name]
    return schema


def _string(schema: dict) -> Any:
    """A string of the schema's format (a file for `binary`), else a word fitting its length bounds."""
    formats = {
        "date-time": lambda: (timezone.now() + dt.timedelta(days=1)).isoformat(),  # follow-ups want the future
        "date": lambda: timezone.localdate().isoformat(),
        "email": lambda: "matrix@example.com",
        "uri": lambda: "https://example.com/matrix",
        "uuid": lambda: "00000000-0000-4000-8000-000000000000",
        "ipv4": lambda: "192.0.2.10",
        "decimal": lambda: "10",
        "binary": lambda: SimpleUploadedFile("matrix.pdf", PDF_BYTES, content_type="application/pdf"),
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]()
    text = "Matrix".ljust(schema.get("minLength", 0), "x")
    return text[: schema["maxLength"]] if schema.get("maxLength") else text


def _combined(schema: dict, depth: int) -> Any:
    parts = [_resolve(part) for part in schema.get("allOf") or schema.get("oneOf") or schema.get("anyOf")]
    if "allOf" not in schema:
        return example(parts[0], depth + 1)
    merged: dict = {}
    for part in parts:
        properties = {**merged.get("properties", {}), **part.get("properties", {})}
        merged = {**merged, **part, "properties": properties}
    return example(merged, depth + 1)


def _object(schema: dict, depth: int) -> dict:
    required = set(schema.get("required", []))
    return {
        name: example(prop, depth + 1)
        for name, prop in schema.get("properties", {}).items()
        if name in required and not _resolve(prop).get("readOnly")
    }


SCALARS = {
    "integer": lambda schema: max(int(schema.get("minimum", 1)), 1),
    "number": lambda schema: max(schema.get("minimum", 10), 10),
    "boolean": lambda schema: True,
    "string": _string,
}


def example(schema: dict, depth: int = 0) -> Any:
    """A value that fits the schema: required properties only, lists at their minimum length."""
    schema = _resolve(schema)
    if depth > MAX_DEPTH:
        return None
    if any(combinator in schema for combinator in ("allOf", "oneOf", "anyOf")):
        return _combined(schema, depth)
    if "enum" in schema:
        return next((value for value in schema["enum"] if value not in (None, "")), None)
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((name for name in kind if name != "null"), None)
    if kind == "object" or "properties" in schema:
        return _object(schema, depth)
    if kind == "array":
        return [example(schema.get("items", {}), depth + 1) for _ in range(schema.get("minItems", 0))]
    return SCALARS[kind](schema) if kind in SCALARS else None


def request_body(path: str, method: str) -> tuple[Any, str]:
    """(body, format) for the operation: JSON unless the operation takes only multipart or form data."""
    op = operation(path, method)
    content = (op or {}).get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(content["application/json"]["schema"]), "json"
    if "multipart/form-data" in content:
        return example(content["multipart/form-data"]["schema"]), "multipart"
    return {}, "json"


def query(path: str, method: str) -> dict[str, Any]:
    """The required query parameters of the operation (a statement's `start` and `end`, ...)."""
    op = operation(path, method) or {}
    values = {}
    for parameter in op.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("required"):
            value = example(parameter.get("schema", {}))
            if parameter["name"] == "start" and isinstance(value, str):
                value = (timezone.now() - dt.timedelta(days=30)).isoformat()
            values[parameter["name"]] = value
    return values
