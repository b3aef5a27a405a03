"""Domain errors: every rule a service refuses raises a DomainError with a stable code."""

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused the action. `code` is stable; `message` is for people."""

    code = "domain_error"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> None:
        # Translated text becomes plain text in the language active where the rule refused (the caller's).
        message = str(message)
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = _plain(fields or {})


def _plain(value: Any) -> Any:
    """`value` with lazily translated text made plain (it is stored in logs and JSON as well as answered)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
