"""Onboarding configuration (000 "Onboarding Step Configuration", "Customer Field Configurations") and KYC webhooks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class OnboardingStep(models.TextChoices):
    """The onboarding steps of seed 000, spelled as the seed spells them."""

    SIGNUP_DEMO_FORM = "SignupDemoForm", _("Demo sign-up form")
    SIGNUP_REAL_FORM = "SignupRealForm", _("Real sign-up form")
    COMPLETE_ACCOUNT_BEFORE_DEPOSIT_FORM = "CompleteAccountBeforeDepositForm", _("Complete account before deposit")
    COMPLETE_ACCOUNT_BEFORE_WITHDRAWAL_FORM = (
        "CompleteAccountBeforeWithdrawalForm",
        _("Complete account before withdrawal"),
    )
    EMAIL_CONFIRMATION = "EmailConfirmation", _("Email confirmation")
    KYC = "KYC", _("KYC")
    PHONE_CONFIRMATION = "PhoneConfirmation", _("Phone confirmation")
    DISCLAIMER_BEFORE_DEPOSIT = "DisclaimerBeforeDeposit", _("Deposit disclaimer")


FORM_STEPS = (
    OnboardingStep.SIGNUP_DEMO_FORM,
    OnboardingStep.SIGNUP_REAL_FORM,
    OnboardingStep.COMPLETE_ACCOUNT_BEFORE_DEPOSIT_FORM,
    OnboardingStep.COMPLETE_ACCOUNT_BEFORE_WITHDRAWAL_FORM,
)


class OnboardingStage(models.TextChoices):
    """When a step must be done: the seed's stages."""

    SIGN_UP = "SignUp", _("Sign-up")
    BEFORE_SIGN_IN = "BeforeSignIn", _("Before sign-in")
    BEFORE_DEPOSIT = "BeforeDeposit", _("Before deposit")
    BEFORE_WITHDRAWAL = "BeforeWithdrawal", _("Before withdrawal")


class OnboardingStepConfiguration(TimeStampedModel):
    """The stage at which staff require an onboarding step; no stage means the step is not required."""

    step = models.CharField(max_length=40, choices=OnboardingStep.choices, unique=True)
    # null: the step is not required at any stage (the seed's API says null, so the column does too)
    stage = models.CharField(max_length=20, choices=OnboardingStage.choices, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["step"]

    def __str__(self) -> str:
        return f"{self.step} → {self.stage or '-'}"


# Profile fields a client fills in the portal; the field configuration says which form step asks for
# each, whether it is required there, and whether the client may change it afterwards.
PORTAL_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "country",
    "language",
    "date_of_birth",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "currency",
)


class CustomerFieldConfiguration(TimeStampedModel):
    """One profile field in the portal forms (000 CustomerFieldConfiguration): step, required, editable."""

    field = models.CharField(max_length=40, choices=[(name, name) for name in PORTAL_FIELDS], unique=True)
    # null: no form asks for the field (the seed's `step` is string or null)
    step = models.CharField(max_length=40, choices=OnboardingStep.choices, null=True, blank=True)  # noqa: DJ001
    required = models.BooleanField(default=False)
    editable = models.BooleanField(default=True, help_text=_("The client may change it after it is set."))

    class Meta:
        ordering = ["field"]

    def __str__(self) -> str:
        return self.field


class KycWebhook(models.Model):
    """A KYC provider's callback as received (raw body), stored once, processed by a task."""

    class Provider(models.TextChoices):
        SUMSUB = "sumsub", _("SumSub")

    provider = models.CharField(max_length=20, choices=Provider.choices)
    # The body's digest: the same delivery twice is stored once.
    digest = models.CharField(max_length=128)
    event_type = models.CharField(max_length=60, blank=True)
    external_user_id = models.CharField(max_length=100, blank=True, db_index=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the sweep sends it again if it is still unprocessed (crm.core.work).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "digest"], name="kyc_webhook_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(processed_at=None), name="kyc_webhook_pending_idx")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} #{self.pk}"
