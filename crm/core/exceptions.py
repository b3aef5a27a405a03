"""Domain errors: every rule a service refuses raises a DomainError with a stable code."""

from typing import Any


class DomainError(Exception):
    """A business rule refused the action. `code` is stable; `message` is for people."""

    code = "domain_error"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
