"""Domain errors of the clients domain that other apps catch or document by code."""

from __future__ import annotations

from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError


class OnboardingIncomplete(DomainError):
    """A stage's onboarding steps are not all done; `steps` names the pending ones."""

    code = "onboarding_incomplete"
    status_code = 403

    def __init__(self, stage: str, steps: list[str]) -> None:
        self.stage = stage
        self.steps = steps
        super().__init__(
            _("Complete these onboarding steps first (%(stage)s): %(steps)s.")
            % {"stage": stage, "steps": ", ".join(steps)},
            fields={"pending_steps": list(steps), "next_step": ["complete_onboarding"]},
        )


class InvalidRefreshToken(DomainError):
    """A portal refresh token that is malformed, expired, revoked, already used or somebody else's."""

    code = "invalid_token"
    status_code = 401


class WebhookRefused(DomainError):
    """A provider callback whose signature does not check out (or that cannot be checked)."""

    code = "invalid_signature"
    status_code = 401


class KycProviderError(DomainError):
    """The KYC provider refused a request (bad credentials, unknown applicant ...)."""

    code = "kyc_provider_error"
    status_code = 502


class KycIncomplete(DomainError):
    """KYC approval refused: the level it would move the client to still needs documents (`missing`, groups)."""

    code = "kyc_documents_missing"
    status_code = 409

    def __init__(self, message: str, *, level_name: str, missing: list[list[str]]) -> None:
        self.level_name = level_name
        self.missing = missing
        super().__init__(
            message,
            fields={"required_level": [level_name], "missing_documents": ["|".join(group) for group in missing]},
        )
