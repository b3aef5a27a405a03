"""The API's parsers: like DRF's, but a NUL character anywhere in the fields is refused.

Every request body is JSON (`DEFAULT_PARSER_CLASSES`), so each operation has one request content type and a
body in another one answers 415 instead of being half read. A view that takes a file upload opts in to
`MultiPartParser` for that action alone (`parser_classes=[MultiPartParser]`).

No field of this API takes a NUL and PostgreSQL text cannot hold one, so a request with one is refused
as a whole (400) instead of failing in the database, whatever field (a related code, a choice) carries
it. Uploaded files may hold any bytes: only the other fields are checked. Query strings are checked by
`crm.core.middleware.RefuseNulInQueryMiddleware`.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from crm.core.middleware import NUL_REFUSED


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, QueryDict):
        return any(has_nul(key) or has_nul(item) for key, items in value.lists() for item in items)
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


class RefuseNulMixin:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if has_nul(getattr(parsed, "data", parsed)):
            raise ParseError(NUL_REFUSED)
        return parsed


class JSONParser(RefuseNulMixin, parsers.JSONParser):
    pass


class MultiPartParser(RefuseNulMixin, parsers.MultiPartParser):
    pass
