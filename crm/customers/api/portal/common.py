"""Pieces every portal view uses: the caller's metadata, the impersonation guard, error responses."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from crm.core.api.errors import ErrorSerializer
from crm.core.middleware import client_ip
from crm.customers.models import OnboardingStage
from crm.customers.services import pending_steps
from crm.users.security import DEVICE_CLAIM, IMPERSONATOR_CLAIM

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
NOT_FOUND = {404: ErrorSerializer}


def request_meta(request: Request) -> dict[str, Any]:
    return {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255]}


def token_claim(request: Request, name: str) -> Any:
    auth = getattr(request, "auth", None)
    return auth.get(name) if auth is not None and hasattr(auth, "get") and not isinstance(auth, str) else None


class NotImpersonated(BasePermission):
    """Refuses account-security changes to a staff member logged in as the client."""

    message = _("Not allowed while a staff member is logged in as the client.")

    def has_permission(self, request: Request, view) -> bool:
        return token_claim(request, IMPERSONATOR_CLAIM) is None


def current_device_id(request: Request) -> int | None:
    return token_claim(request, DEVICE_CLAIM)


def all_pending_steps(customer) -> dict[str, list[str]]:
    """Pending steps for every stage that has some."""
    pending = {stage: pending_steps(customer, stage) for stage in OnboardingStage.values}
    return {stage: steps for stage, steps in pending.items() if steps}


def example(name: str, value: Any, *, request: bool = False, status: str = "200") -> OpenApiExample:
    """A request or response example; for a list answer give one item: the schema wraps it in the list or page."""
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


SUCCESS_EXAMPLE = example("Done", {"success": True})
PROFILE_EXAMPLE = {
    "id": 42,
    "email": "jane@example.com",
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "+447911123456",
    "country": "GB",
    "language": "en",
    "date_of_birth": "1990-04-01",
    "address_line1": "1 High Street",
    "address_line2": "",
    "city": "London",
    "state": "",
    "postal_code": "N1 1AA",
    "currency": "USD",
    "status": "active",
    "kyc_status": "pending",
    "client_type": "Individual",
    "verification_level": "Basic",
    "referral_key": None,
    "registered_at": "2025-01-10T09:00:00Z",
    "confirmed_at": "2025-01-10T09:05:00Z",
    "phone_confirmed_at": None,
    "deposit_disclaimer_accepted_at": None,
    "termination_requested_at": None,
    "has_profile_picture": False,
}
SESSION_EXAMPLE = {
    "access": "eyJhbGciOiJIUzI1NiJ9.access…",
    "refresh": "eyJhbGciOiJIUzI1NiJ9.refresh…",
    "customer": PROFILE_EXAMPLE,
    "pending_steps": {"BeforeDeposit": ["KYC", "DisclaimerBeforeDeposit"]},
}
ONBOARDING_ERROR_EXAMPLE = example(
    "Onboarding steps pending",
    {
        "error": {
            "code": "onboarding_incomplete",
            "message": "Complete these onboarding steps first (BeforeSignIn): EmailConfirmation.",
            "fields": {"pending_steps": ["EmailConfirmation"]},
        }
    },
    status="403",
)
