"""The project's OpenAPI schema class: every operation documents the refusals it can answer with.

A client generated from the schema then knows every status it may meet, each with the one error
body of crm.core.api.errors. The schema fuzzer (tests/harness/test_api_fuzz.py) holds the API to it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import is_list_serializer

from crm.core.api.errors import ErrorSerializer

REFUSALS = {
    "400": "Invalid input or a business rule refused the request.",
    "401": "No valid credentials: missing, wrong, expired, or used from an address outside the allow-list.",
    "403": "The caller may not do this.",
    "404": "No such object, or one the caller may not see.",
    "409": "The request conflicts with the object's current state.",
    "429": "Too many requests: slow down and retry later.",
}


NOT_DECLARED = object()


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._refusal_codes():
            if code not in responses:
                responses[code] = {
                    # drf-spectacular leaves this one unannotated.
                    **self._get_response_for_code(ErrorSerializer, code, direction=direction),  # type: ignore[no-untyped-call]
                    "description": REFUSALS[code],
                }
        return responses

    _probing = False

    def get_request_serializer(self) -> Any:
        # Below every `extend_schema` in the class chain: while probing, reaching here means none declared one.
        if self._probing:
            return NOT_DECLARED
        return super().get_request_serializer()

    def _get_request_body(self, direction: openapi.Direction = "request") -> Any:
        # drf-spectacular documents bodies of POST, PUT and PATCH only; a DELETE that declares its body with
        # `extend_schema(request=...)` (the seed 001 price alerts' `{ids}`) gets it documented too.
        if self.method != "DELETE":
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        self._probing = True
        try:
            declared = self.get_request_serializer()
        finally:
            self._probing = False
        if declared is NOT_DECLARED or declared is None:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        # The method check is all that stands between the body and the schema: pass it as a POST whose request is
        # the DELETE's declared one.
        self.method, self.get_request_serializer = "POST", lambda: declared  # type: ignore[method-assign]
        try:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        finally:
            self.method = "DELETE"
            del self.get_request_serializer

    def _refusal_codes(self) -> list[str]:
        # Any endpoint may meet bad input, a bad credential (even an open one: a wrong token is refused),
        # a refusal, a missing or hidden object and the throttle; only writes meet a state conflict.
        codes = ["400", "401", "403", "404", "429"]
        if self.method != "GET":
            codes.append("409")
        return codes


class SingleObjectSchema(AutoSchema):
    """For a viewset whose `list` answers one object (my dashboard, my profile): documented as that object,
    not as a page or an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        if serializer is None:
            serializer = self.get_response_serializers()
        if isinstance(serializer, dict) and serializer:
            serializer = next(iter(serializer.values()))
        return is_list_serializer(serializer)
