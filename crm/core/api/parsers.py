"""The API's parsers: like DRF's, but bodies are read within limits, and a NUL character is refused.

Limits: Django's (`DATA_UPLOAD_MAX_MEMORY_SIZE` for JSON and form bodies and the fields of multipart ones,
`DATA_UPLOAD_MAX_NUMBER_FIELDS`, `DATA_UPLOAD_MAX_NUMBER_FILES`) and JSON nesting (`crm.core.jsontext`).
Django raises its refusals as `SuspiciousOperation`s, which DRF does not handle (a 500, or Django's HTML 400
page); `body_refusal` turns them into API exceptions: 413 `RequestTooLarge` or 400 `ParseError`. The exception
handler uses it for every view, and views that answer refusals in their own shape read `request_data`.

Every request body is JSON (`DEFAULT_PARSER_CLASSES`), so each operation has one request content type and a
body in another one answers 415 instead of being half read. A view that takes a file upload opts in to
`MultiPartParser` for that action alone (`parser_classes=[MultiPartParser]`).

No field of this API takes a NUL and PostgreSQL text cannot hold one, so a request with one is refused
as a whole (400) instead of failing in the database, whatever field (a related code, a choice) carries
it. Uploaded files may hold any bytes: only the other fields are checked. Query strings are checked by
`crm.core.middleware.RefuseNulInQueryMiddleware`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.request import Request

from crm.core import jsontext
from crm.core.middleware import NUL_REFUSED

TOO_LARGE = "The request body is too large."


class RequestTooLarge(ParseError):
    """The body is over the size limit: 413, and still a `ParseError` for views that answer those themselves."""

    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


def body_refusal(exc: Exception) -> APIException | None:
    """The API exception for Django's refusal of a body (None for any other exception)."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return ParseError(str(exc))
    return None


def request_data(request: Request) -> Any:
    """`request.data`, every refusal of the body raised as an `APIException` (413 or 400)."""
    try:
        return request.data
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise body_refusal(exc) or ParseError(str(exc)) from exc


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


# Seen by the type checker as what it is mixed into.
if TYPE_CHECKING:
    _Parser = parsers.BaseParser
else:
    _Parser = object


class RefuseNulMixin(_Parser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        if has_nul(getattr(parsed, "data", parsed)):
            raise ParseError(NUL_REFUSED)
        return parsed


class LimitedJSONParser(parsers.JSONParser):
    """DRF hands it the body Django read (within `DATA_UPLOAD_MAX_MEMORY_SIZE`); nesting is limited here."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return jsontext.loads(stream.read().decode(encoding))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(_("JSON parse error - %(exc)s") % {"exc": exc}) from exc


class LimitedMultiPartParser(parsers.MultiPartParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
            raise body_refusal(exc) or ParseError(str(exc)) from exc


class JSONParser(RefuseNulMixin, LimitedJSONParser):
    pass


class MultiPartParser(RefuseNulMixin, LimitedMultiPartParser):
    pass
