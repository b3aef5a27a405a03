"""Onboarding: which steps each stage requires, which a client has done, and the field configuration of forms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.customers.exceptions import OnboardingIncomplete
from crm.customers.models import (
    Customer,
    CustomerFieldConfiguration,
    OnboardingStage,
    OnboardingStep,
    OnboardingStepConfiguration,
)
from crm.customers.portal_models import FORM_STEPS, PORTAL_FIELDS
from crm.users.models import User

STEP_ORDER = {step: index for index, step in enumerate(OnboardingStep.values)}


def _is_blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


# Every client has a first name (the model requires one), so both sign-up forms ask for it whatever the field
# configuration says, and report it as required.
SIGN_UP_STEPS = (OnboardingStep.SIGNUP_DEMO_FORM, OnboardingStep.SIGNUP_REAL_FORM)
SIGN_UP_REQUIRED = ("first_name",)


def required_fields(step: str) -> list[str]:
    """The profile fields a form step must have filled."""
    configured = CustomerFieldConfiguration.objects.filter(step=step, required=True).values_list("field", flat=True)
    return sorted({*configured, *(SIGN_UP_REQUIRED if step in SIGN_UP_STEPS else ())})


def missing_fields(customer: Customer, step: str, values: dict[str, Any] | None = None) -> list[str]:
    """Required fields of a form step that are empty on the client (after `values`, if given)."""
    values = values or {}
    return [name for name in required_fields(step) if _is_blank(values.get(name, getattr(customer, name)))]


def step_done(customer: Customer, step: str) -> bool:
    """Whether the client has done a step; form steps are done when their required fields are filled."""
    if step in customer.skipped_onboarding_steps:
        return True
    if step == OnboardingStep.EMAIL_CONFIRMATION:
        return customer.confirmed_at is not None
    if step == OnboardingStep.PHONE_CONFIRMATION:
        return customer.phone_confirmed_at is not None
    if step == OnboardingStep.KYC:
        return customer.kyc_status == Customer.KycStatus.APPROVED
    if step == OnboardingStep.DISCLAIMER_BEFORE_DEPOSIT:
        return customer.deposit_disclaimer_accepted_at is not None
    return not missing_fields(customer, step)


def stage_steps(stage: str) -> list[str]:
    """The steps staff require at a stage, in the seed's order."""
    steps = OnboardingStepConfiguration.objects.filter(stage=stage).values_list("step", flat=True)
    return sorted(steps, key=STEP_ORDER.__getitem__)


def pending_steps(customer: Customer, stage: str) -> list[str]:
    """The steps of a stage the client has not done yet."""
    if stage not in OnboardingStage.values:
        raise DomainError(
            _("Unknown stage %(stage)s.") % {"stage": repr(stage)},
            code="invalid_stage",
            fields={"stage": [_("Unknown stage.")]},
        )
    return [step for step in stage_steps(stage) if not step_done(customer, step)]


def ensure_stage_complete(customer: Customer, stage: str) -> None:
    """Refuse (OnboardingIncomplete, 403, naming the steps) unless every step of the stage is done.

    Money and sign-in endpoints call this before acting: `ensure_stage_complete(customer, "BeforeDeposit")`.
    """
    pending = pending_steps(customer, stage)
    if pending:
        raise OnboardingIncomplete(stage, pending)


@transaction.atomic
def configure_step(step: str, *, stage: str | None, actor: User | None) -> OnboardingStepConfiguration:
    """Require a step at a stage, or (no stage) at none."""
    if step not in OnboardingStep.values:
        raise DomainError(
            _("Unknown step %(step)s.") % {"step": repr(step)},
            code="invalid_step",
            fields={"step": [_("Unknown step.")]},
        )
    if stage is not None and stage not in OnboardingStage.values:
        raise DomainError(
            _("Unknown stage %(stage)s.") % {"stage": repr(stage)},
            code="invalid_stage",
            fields={"stage": [_("Unknown stage.")]},
        )
    config, _unused = OnboardingStepConfiguration.objects.select_for_update().get_or_create(step=step)
    if config.stage != stage:
        old = config.stage
        config.stage = stage
        config.save(update_fields=["stage", "updated_at"])
        record_activity(
            actor=actor, action="onboarding.step_configured", target=config, changes={"stage": [old, stage]}
        )
    return config


@transaction.atomic
def update_field_configurations(rows: list[dict[str, Any]], *, actor: User | None) -> list[CustomerFieldConfiguration]:
    """Set step, required and editable of the named fields, all or none."""
    result = []
    for index, row in enumerate(rows):
        field, step = row.get("field"), row.get("step")
        if field not in PORTAL_FIELDS:
            raise DomainError(
                _("Unknown field."), code="invalid_field", fields={f"{index}.field": [_("Unknown field.")]}
            )
        if step is not None and step not in FORM_STEPS:
            raise DomainError(
                _("Fields belong to form steps only."),
                code="invalid_step",
                fields={f"{index}.step": [_("Not a form step.")]},
            )
        config, _unused = CustomerFieldConfiguration.objects.select_for_update().get_or_create(field=field)
        config.step = step
        config.required = bool(row.get("required", config.required))
        config.editable = bool(row.get("editable", config.editable))
        config.save()
        result.append(config)
    record_activity(actor=actor, action="onboarding.fields_configured", data={"fields": [c.field for c in result]})
    return result


def form_configuration(step: str) -> list[CustomerFieldConfiguration]:
    """The fields a form step asks for, each as required as the step really needs it."""
    if step not in OnboardingStep.values:
        raise DomainError(
            _("Unknown step %(step)s.") % {"step": repr(step)},
            code="invalid_step",
            fields={"step": [_("Unknown step.")]},
        )
    configs = {config.field: config for config in CustomerFieldConfiguration.objects.filter(step=step)}
    if step in SIGN_UP_STEPS:
        elsewhere = {c.field: c for c in CustomerFieldConfiguration.objects.filter(field__in=SIGN_UP_REQUIRED)}
        for name in SIGN_UP_REQUIRED:
            # Shown on this step even when staff put it on another one; never saved from here.
            config = configs.get(name) or CustomerFieldConfiguration(
                field=name, step=step, editable=elsewhere[name].editable if name in elsewhere else True
            )
            config.required = True
            configs[name] = config
    return [configs[name] for name in sorted(configs)]
