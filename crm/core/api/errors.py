"""One error body for the whole API:

{"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}}}
"""

from typing import Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm.core.api.parsers import body_refusal
from crm.core.exceptions import DomainError


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    # A declared field named like Serializer.fields: DRF's metaclass takes it out of the class attributes.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every 4xx answer."""

    error = ErrorDetailSerializer()


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def flatten_errors(detail: Any) -> dict[str, list[str]]:
    """A validation error's nested detail as one level of field errors (`filters.0.field`)."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            nested = flatten_errors(value)
            if set(nested) == {"non_field_errors"}:
                out[key] = nested["non_field_errors"]
            else:
                for sub, messages in nested.items():
                    out[key if sub == "non_field_errors" else f"{key}.{sub}"] = messages
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {"non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            for sub, messages in flatten_errors(item).items():
                out[f"{index}" if sub == "non_field_errors" else f"{index}.{sub}"] = messages
        return out
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = body_refusal(exc) or exc
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields or None), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "validation_error", _("The request has invalid fields."), flatten_errors(exc.detail)
        )
    else:
        # DRF's handler answers only its APIException (the Django ones were converted above).
        response.data = error_body(*_code_and_message(cast(exceptions.APIException, exc)))
    return response


def _code_and_message(exc: exceptions.APIException) -> tuple[str, str]:
    """The stable code and the human message of a refusal.

    simplejwt's errors carry a dict (`{"detail", "code", "messages": [{"message", ...}]}`); its inner message
    ("Token is expired") says more than the outer one ("Given token not valid for any token type").
    """
    detail = exc.detail
    if isinstance(detail, dict):
        inner = [str(item["message"]) for item in detail.get("messages") or [] if isinstance(item, dict)]
        message = inner[0] if inner else str(detail.get("detail") or exc.default_detail)
        return str(detail.get("code") or exc.default_code), message
    code = exc.get_codes()
    return (code if isinstance(code, str) else exc.default_code), str(detail)
