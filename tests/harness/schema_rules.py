"""Rules the OpenAPI schema keeps so that client generators turn it into working clients.

Each rule reads the whole schema and returns what breaks it (empty when it holds), so an endpoint added later is
held to the same rules. `tests/harness/test_api_clients.py` runs them beside the real generators and linters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

REF_PREFIX = "#/components/schemas/"
TYPED = ("type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const")
# Which security schemes each audience's operations declare (an empty requirement, {}, means "no credentials").
AUDIENCE_SCHEMES = {
    "/api/v1/backoffice/": {"ApiToken", "cookieAuth"},
    "/api/v1/portal/": {"PortalJWT"},
    "/api/v1/affiliate/": {"PortalJWT", "AffiliateKey"},
}
DESCRIBED_AUDIENCES = ("/api/v1/portal/", "/api/v1/affiliate/")
# Notes for us, not for API users: seed file numbers ("000 'Get payout requests'"), the word seed, item numbers.
INTERNAL_NOTE = re.compile(r"\b00\d\b|\bseeds?\b|#\d{2,}\b", re.IGNORECASE)
TEXT_KEYS = ("summary", "description", "title")


def operations(schema: dict) -> Iterator[tuple[str, str, dict]]:
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method in ("get", "put", "post", "patch", "delete", "head", "options"):
                yield path, method, operation


def _label(path: str, method: str) -> str:
    return f"{method.upper()} {path}"


def _value_schemas(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every schema in `node` that describes a value (property, item, map value, union member), with a pointer."""
    if not isinstance(node, dict):
        return
    for name, prop in (node.get("properties") or {}).items():
        yield f"{where}.{name}", prop
        yield from _value_schemas(prop, f"{where}.{name}")
    if node.get("type") == "array" or (isinstance(node.get("type"), list) and "array" in node["type"]):
        yield f"{where}[]", node.get("items", {})
        yield from _value_schemas(node.get("items"), f"{where}[]")
    extra = node.get("additionalProperties")
    if extra is True or isinstance(extra, dict):
        yield f"{where}{{}}", {} if extra is True else extra
        yield from _value_schemas(extra, f"{where}{{}}")
    for combinator in ("oneOf", "anyOf", "allOf"):
        for index, member in enumerate(node.get(combinator) or []):
            yield f"{where}.{combinator}[{index}]", member
            yield from _value_schemas(member, f"{where}.{combinator}[{index}]")


def _top_schemas(schema: dict) -> Iterator[tuple[str, dict]]:
    """Every schema at the top of a component, a parameter, a request body or a response."""
    yield from schema.get("components", {}).get("schemas", {}).items()
    for path, method, operation in operations(schema):
        label = _label(path, method)
        for parameter in operation.get("parameters", []):
            yield f"{label} parameter {parameter['name']}", parameter.get("schema", {})
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{label} request {media}", content.get("schema", {})
        for status, response in operation.get("responses", {}).items():
            for media, content in (response.get("content") or {}).items():
                yield f"{label} {status} {media}", content.get("schema", {})


def untyped_values(schema: dict) -> list[str]:
    """Fields, items and map values whose type the schema does not say (a generator makes them `unknown`/Any)."""
    found = []
    for where, top in _top_schemas(schema):
        for pointer, value in [(where, top), *_value_schemas(top, where)]:
            if not isinstance(value, dict) or not any(key in value for key in TYPED):
                found.append(pointer)
    return found


def ambiguous_request_bodies(schema: dict) -> list[str]:
    """Operations that accept their body in more than one content type (a generator picks one, or sends both)."""
    return [
        f"{_label(path, method)}: {sorted(operation['requestBody']['content'])}"
        for path, method, operation in operations(schema)
        if len(operation.get("requestBody", {}).get("content", {})) > 1
    ]


def _resolve_all(node: Any, schemas: dict, seen: set[str]) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        ref = node.get("$ref", "")
        if ref.startswith(REF_PREFIX) and ref not in seen:
            seen.add(ref)
            yield from _resolve_all(schemas[ref.removeprefix(REF_PREFIX)], schemas, seen)
        for value in node.values():
            yield from _resolve_all(value, schemas, seen)
    elif isinstance(node, list):
        for item in node:
            yield from _resolve_all(item, schemas, seen)


def files_in_json_bodies(schema: dict) -> list[str]:
    """JSON request bodies with a file field: a file is uploaded as multipart form data, never inside JSON."""
    schemas = schema.get("components", {}).get("schemas", {})
    return [
        _label(path, method)
        for path, method, operation in operations(schema)
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if media == "application/json"
        and any(node.get("format") == "binary" for node in _resolve_all(content.get("schema"), schemas, set()))
    ]


def request_defaults(schema: dict) -> list[str]:
    """Request fields with a `default`: openapi-typescript makes them required; the default belongs in the text."""
    schemas = schema.get("components", {}).get("schemas", {})
    found = []
    for path, method, operation in operations(schema):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            for node in _resolve_all(content.get("schema"), schemas, set()):
                found += [
                    f"{_label(path, method)} {name}"
                    for name, prop in (node.get("properties") or {}).items()
                    if isinstance(prop, dict) and "default" in prop
                ]
    return sorted(set(found))


def undescribed(schema: dict) -> list[str]:
    """Portal and affiliate operations without a summary and a description, and parameters without one."""
    found = []
    for path, method, operation in operations(schema):
        if not path.startswith(DESCRIBED_AUDIENCES):
            continue
        label = _label(path, method)
        found += [f"{label}: no {key}" for key in ("summary", "description") if not operation.get(key, "").strip()]
        found += [
            f"{label}: parameter {parameter['name']}"
            for parameter in operation.get("parameters", [])
            if not parameter.get("description", "").strip()
        ]
    return found


def _texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                yield f"{where}/{key}", value
            elif key not in ("example", "examples"):
                yield from _texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _texts(item, f"{where}/{index}")


def internal_notes(schema: dict) -> list[str]:
    """Texts an API user reads that carry our own notes: seed file numbers, the word seed, item numbers."""
    return [f"{where}: {text[:80]}" for where, text in _texts(schema, "") if INTERNAL_NOTE.search(text)]


def _schemes(operation: dict) -> set[str] | None:
    if "security" not in operation:
        return None
    return {name for requirement in operation["security"] for name in requirement}


def security_by_audience(schema: dict) -> list[str]:
    """Every operation declares its security; under an audience, only that audience's schemes."""
    found = []
    for path, method, operation in operations(schema):
        schemes = _schemes(operation)
        if schemes is None:
            found.append(f"{_label(path, method)}: no security declared")
            continue
        for prefix, allowed in AUDIENCE_SCHEMES.items():
            if path.startswith(prefix) and schemes - allowed:
                found.append(f"{_label(path, method)}: {sorted(schemes - allowed)} on {prefix}")
    return found


def _enum_key(values: list) -> tuple:
    return tuple(sorted(str(value) for value in values if value not in ("", None)))


def repeated_inline_enums(schema: dict) -> list[str]:
    """Choice sets written out in more than one place: each should be one named enum that every use refers to."""
    components = schema.get("components", {}).get("schemas", {})
    named = {_enum_key(component["enum"]) for component in components.values() if component.get("enum")}
    inline: Counter = Counter()
    for _where, top in _top_schemas(schema):
        nested = [value for _pointer, value in _value_schemas(top, "")]
        for node in [top, *nested] if top not in components.values() else nested:
            if isinstance(node, dict) and node.get("enum") and _enum_key(node["enum"]):
                inline[_enum_key(node["enum"])] += 1
    return [
        f"{list(key)[:4]}... written {count} times" + (" though a named enum has them" if key in named else "")
        for key, count in inline.items()
        if count > 1 or key in named
    ]


RULES: dict[str, Callable[[dict], list[str]]] = {
    "untyped_values": untyped_values,
    "ambiguous_request_bodies": ambiguous_request_bodies,
    "files_in_json_bodies": files_in_json_bodies,
    "request_defaults": request_defaults,
    "undescribed": undescribed,
    "internal_notes": internal_notes,
    "security_by_audience": security_by_audience,
    "repeated_inline_enums": repeated_inline_enums,
}
