"""Assignment rules: create, change, delete, each logged."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries

from crm.core.exceptions import DomainError
from crm.core.services import changed_fields, record_activity, snapshot
from crm.sales.models import AssignmentRule
from crm.users.models import User

RULE_FIELDS = ["name", "priority", "is_active", "countries", "languages", "sources", "desk", "agent"]


def _clean(values: dict[str, Any]) -> None:
    if "countries" in values:
        codes = [str(code).strip().upper() for code in values["countries"] or []]
        unknown = [code for code in codes if code not in dict(countries)]
        if unknown:
            raise DomainError(
                _("Unknown countries."),
                code="validation_error",
                fields={"countries": [_("Unknown: %(unknown)s") % {"unknown": ", ".join(unknown)}]},
            )
        values["countries"] = sorted(set(codes))
    if "languages" in values:
        values["languages"] = sorted({str(v).strip().lower() for v in values["languages"] or [] if str(v).strip()})
    if "sources" in values:
        values["sources"] = sorted({str(v).strip() for v in values["sources"] or [] if str(v).strip()})
    agent = values.get("agent")
    if agent is not None and not (agent.is_staff and agent.is_active and not agent.is_service_account):
        raise DomainError(
            _("The agent must be active staff."), code="invalid_agent", fields={"agent": [_("Not active.")]}
        )


@transaction.atomic
def create_rule(*, actor: User | None, **values: Any) -> AssignmentRule:
    """Create an assignment rule; countries are ISO alpha-2 codes, stored upper-case."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    _clean(values)
    rule = AssignmentRule(**values)
    rule.full_clean()
    rule.save()
    record_activity(actor=actor, action="assignment_rule.created", target=rule)
    return rule


@transaction.atomic
def update_rule(rule: AssignmentRule, *, actor: User | None, **values: Any) -> AssignmentRule:
    """Change an assignment rule; the history keeps old and new values."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    _clean(values)
    rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, list(values))
    for name, value in values.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    changes = changed_fields(rule, before)
    if changes:
        record_activity(actor=actor, action="assignment_rule.updated", target=rule, changes=changes)
    return rule


@transaction.atomic
def delete_rule(rule: AssignmentRule, *, actor: User | None) -> None:
    record_activity(actor=actor, action="assignment_rule.deleted", target=rule, data={"name": rule.name})
    rule.delete()
