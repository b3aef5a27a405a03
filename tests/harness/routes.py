"""Every object route of the API, read from the URL configuration (no list to keep up to date).

An object route is a URL under `/api/` with a kwarg naming something (`{pk}`, `{document_id}`, `{step}`,
...): router detail routes, detail `@action`s, nested actions and plain views alike. Each route is taken
once per HTTP method it answers (the viewset's action map, narrowed by its `http_method_names`), so a new
viewset, action or method shows up in the access matrix by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm.core.middleware import API_PATH_PREFIXES

METHODS = ("get", "post", "put", "patch", "delete")
# Kwargs that select a representation, not an object (DRF's `.json` suffix routes repeat every route).
NOT_OBJECT_KWARGS = {"format"}
AUDIENCES = {"backoffice", "portal", "affiliate"}


@dataclass(frozen=True)
class Route:
    """One HTTP method of one URL pattern with an object kwarg."""

    audience: str  # backoffice, portal, affiliate, or public (outside the three routers)
    namespace: str  # for reverse(): "backoffice", "affiliates-compat", ...
    name: str  # URL name: "customer-detail"
    path: str  # for humans: "/api/v1/backoffice/customers/{pk}/"
    kwargs: tuple[str, ...]  # the object kwargs, in path order
    method: str  # "GET"
    action: str  # viewset action ("retrieve", "kyc_approve") or the view's method name
    view_class: Any
    resource: str  # registry key: "<audience>:<router basename>" or "<namespace>:<url name>"

    @property
    def id(self) -> str:
        return f"{self.namespace}:{self.name} {self.method}"

    def url(self, kwargs: dict[str, Any]) -> str:
        name = f"{self.namespace}:{self.name}" if self.namespace else self.name
        return reverse(name, kwargs={key: kwargs[key] for key in self.kwargs})

    @property
    def authentication_classes(self) -> list:
        return list(getattr(self.view_class, "authentication_classes", []))


def _human(regex: str) -> str:
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return "/" + text.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            spaces = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, prefix + str(entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespaces, entry


def _methods(callback) -> list[tuple[str, str]]:
    """(METHOD, action) pairs the view answers."""
    cls = getattr(callback, "cls", None)
    actions = getattr(callback, "actions", None)
    if cls is not None and actions:  # a viewset route
        allowed = set(cls.http_method_names)
        return [(method.upper(), actions[method]) for method in METHODS if method in actions and method in allowed]
    if cls is not None:  # an APIView or @api_view function
        allowed = set(cls.http_method_names)
        return [(method.upper(), method) for method in METHODS if method in allowed and hasattr(cls, method)]
    # A plain Django view: its methods are not declared anywhere we can read, so try the usual ones.
    return [("GET", "get"), ("POST", "post")]


@cache
def program_routes() -> tuple[Route, ...]:
    """Every (route, method) whose callers are programs (`API_PATH_PREFIXES`: the API, the seeds' compatibility
    paths, webhooks), with or without an object kwarg, in URL-configuration order."""
    routes: list[Route] = []
    for regex, namespaces, pattern in _walk(get_resolver()):
        path = _human(regex)
        if not path.startswith(API_PATH_PREFIXES) or not pattern.name:
            continue
        if any(name in NOT_OBJECT_KWARGS for name in pattern.pattern.regex.groupindex):
            continue
        kwargs = tuple(pattern.pattern.regex.groupindex)
        namespace = ":".join(namespaces)
        audience = namespaces[-1] if namespaces and namespaces[-1] in AUDIENCES else "public"
        callback = pattern.callback
        basename = getattr(callback, "initkwargs", {}).get("basename")
        resource = f"{audience}:{basename}" if basename else f"{namespace}:{pattern.name}"
        for method, action in _methods(callback):
            routes.append(
                Route(
                    audience=audience,
                    namespace=namespace,
                    name=pattern.name,
                    path=path,
                    kwargs=kwargs,
                    method=method,
                    action=action,
                    view_class=getattr(callback, "cls", None),
                    resource=resource,
                )
            )
    return tuple(routes)


@cache
def object_routes() -> tuple[Route, ...]:
    """Every (object route, method) under /api/, in URL-configuration order."""
    return tuple(route for route in program_routes() if route.path.startswith("/api/") and route.kwargs)
