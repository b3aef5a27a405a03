"""Domain errors of the clients domain that other apps catch or document by code."""

from __future__ import annotations

from crm.core.exceptions import DomainError


class OnboardingIncomplete(DomainError):
    """A stage's onboarding steps are not all done; `steps` names the pending ones."""

    code = "onboarding_incomplete"
    status_code = 403

    def __init__(self, stage: str, steps: list[str]) -> None:
        self.stage = stage
        self.steps = steps
        super().__init__(
            f"Complete these onboarding steps first ({stage}): {', '.join(steps)}.",
            fields={"pending_steps": list(steps)},
        )


class WebhookRefused(DomainError):
    """A provider callback whose signature does not check out (or that cannot be checked)."""

    code = "invalid_signature"
    status_code = 401


class KycProviderError(DomainError):
    """The KYC provider refused a request (bad credentials, unknown applicant ...)."""

    code = "kyc_provider_error"
    status_code = 502
