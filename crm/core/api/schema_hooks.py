"""drf-spectacular postprocessing hooks: the schema as client generators need it, whatever the endpoint.

They run after drf-spectacular's own enum hook (see `SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`), on every
operation, so an endpoint added later is held to the same rules without doing anything:

- `declare_servers`: the base URL the paths hang off (the requesting host when served, `SITE_URL` otherwise).
- `open_operations_need_no_credentials`: an operation anyone may call (sign-up, log-in) declares no security
  (`[]`), not an optional one (`[{}]`), so a generated client calls it without credentials.
- `nullable_as_null_type`: OpenAPI 3.1 has no `nullable`; what a serializer or paginator still marks so becomes
  a `"null"` type.
- `request_defaults_in_descriptions`: a request field with a server-side default is optional, and generators
  that read `default` as "always present" (openapi-typescript) would make it required; the default moves into
  the field's description.
- `name_inline_enums`: choices written out inline (a query parameter's, a map's values) become a reference to
  the named enum with the same values (a new one when a parameter's choices recur), so a generated client has
  one enum type per set of choices, not one per operation.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

# A piece of the OpenAPI document as JSON.
Node = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
# Keys describing a value rather than constraining it: they stay beside a `oneOf` made for a null.
ANNOTATIONS = ("title", "description", "readOnly", "writeOnly", "default", "deprecated", "example", "examples")


def declare_servers(
    result: Node, generator: SchemaGenerator, request: Request | None = None, public: bool = True
) -> Node:
    url = request.build_absolute_uri("/").rstrip("/") if request is not None else settings.SITE_URL.rstrip("/")
    result["servers"] = [{"url": url, "description": "This deployment"}]
    return result


def open_operations_need_no_credentials(
    result: Node, generator: SchemaGenerator, request: Request | None = None, public: bool = True
) -> Node:
    for _path, _method, operation in _operations(result):
        if operation.get("security") == [{}]:
            operation["security"] = []
    return result


def _walk(node: Any) -> Iterator[Node]:
    """Every dict in the tree (schemas, operations, examples alike), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _schemas(result: Node) -> Node:
    schemas: Node = result.get("components", {}).get("schemas", {})
    return schemas


def nullable_as_null_type(
    result: Node, generator: SchemaGenerator, request: Request | None = None, public: bool = True
) -> Node:
    for node in list(_walk({"paths": result.get("paths", {}), "schemas": _schemas(result)})):
        if node.pop("nullable", None) is not True:
            continue
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        elif isinstance(kind, list):
            node["type"] = [*kind, "null"] if "null" not in kind else kind
        else:
            inner = {key: node.pop(key) for key in list(node) if key not in ANNOTATIONS}
            node["oneOf"] = [inner, {"type": "null"}]
    return result


def _component_name(schema: Node) -> str | None:
    ref = schema.get("$ref", "")
    return ref.removeprefix(REF_PREFIX) if ref.startswith(REF_PREFIX) else None


def _reachable(roots: list[Node], schemas: Node) -> tuple[list[Node], set[str]]:
    """Every schema dict under `roots`, following component references; and the components reached."""
    seen: set[str] = set()
    found: list[Node] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        for child in _walk(node):
            found.append(child)
            name = _component_name(child)
            if name and name not in seen and name in schemas:
                seen.add(name)
                stack.append(schemas[name])
    return found, seen


def _operations(result: Node) -> Iterator[tuple[str, str, Node]]:
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and method != "parameters":
                yield path, method, operation


def _request_body_schemas(result: Node) -> list[Node]:
    return [
        media["schema"]
        for _path, _method, operation in _operations(result)
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if "schema" in media
    ]


def request_defaults_in_descriptions(
    result: Node, generator: SchemaGenerator, request: Request | None = None, public: bool = True
) -> Node:
    nodes, _ = _reachable(_request_body_schemas(result), _schemas(result))
    for node in nodes:
        for prop in (node.get("properties") or {}).values():
            if isinstance(prop, dict) and "default" in prop:
                default = json.dumps(prop.pop("default"))
                text = prop.get("description", "").rstrip()
                sentence = f"Default: `{default}`."
                prop["description"] = f"{text} {sentence}".strip() if text else sentence
    return result


def _enum_key(values: list[Any]) -> tuple[Any, ...]:
    return tuple(sorted(str(value) for value in values if value not in ("", None)))


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _resource(path: str) -> str:
    """The resource a path serves: `customers` for /api/v1/backoffice/customers/{id}/..."""
    parts = [part for part in path.split("/") if part and "{" not in part]
    return parts[3] if path.startswith("/api/v1/") and len(parts) > 3 else parts[-1]


def _parameter_enum_holders(result: Node) -> Iterator[tuple[str, str, Node]]:
    """(path, parameter name, the schema dict holding `enum`) of every query or path parameter with choices."""
    for path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            holder = schema.get("items", {}) if schema.get("type") == "array" else schema
            if isinstance(holder, dict) and "enum" in holder:
                yield path, parameter["name"], holder


def name_inline_enums(
    result: Node, generator: SchemaGenerator, request: Request | None = None, public: bool = True
) -> Node:
    schemas = _schemas(result)
    named = {_enum_key(schema["enum"]): name for name, schema in schemas.items() if schema.get("enum")}
    holders = list(_parameter_enum_holders(result))
    uses: dict[tuple[Any, ...], list[tuple[str, str]]] = defaultdict(list)
    for path, parameter, holder in holders:
        uses[_enum_key(holder["enum"])].append((path, parameter))
    for key, places in uses.items():
        if key in named or len(places) < 2 or not key:
            continue
        path, parameter = places[0]
        name = f"{_camel(_resource(path))}{_camel(parameter)}Enum"
        suffix = 2
        while name in schemas:
            name, suffix = f"{_camel(_resource(path))}{_camel(parameter)}{suffix}Enum", suffix + 1
        values = next(holder["enum"] for p, n, holder in holders if (p, n) == (path, parameter))
        schemas[name] = {"type": "string", "enum": [value for value in values if value not in ("", None)]}
        named[key] = name
    # Every choice set written out inline (a parameter's, a map's values...) that a named enum has: a reference.
    tops = {id(schema) for schema in schemas.values()}
    inline = [node for node in _walk({"paths": result.get("paths", {}), "schemas": schemas}) if id(node) not in tops]
    for holder in inline:
        enum_name = named.get(_enum_key(holder["enum"])) if isinstance(holder.get("enum"), list) else None
        if enum_name is None:
            continue
        _refer(holder, enum_name)
    return result


def _refer(holder: Node, name: str) -> None:
    """Make `holder` a reference to the named enum, keeping its annotations and its blank or null choice."""
    annotations = {key: holder[key] for key in ANNOTATIONS if key in holder}
    extra = [{"const": ""}] if "" in holder["enum"] else []
    extra += [{"type": "null"}] if None in holder["enum"] else []
    holder.clear()
    holder.update({"oneOf": [{"$ref": REF_PREFIX + name}, *extra]} if extra else {"$ref": REF_PREFIX + name})
    holder.update(annotations)
