"""Commission models saved whole from the back-office API (000 "Create/Update/Delete a commission model").

A model arrives with its levels and their rules. Levels are matched by number, rules by id; a rule left out
is deleted, or only disabled when commissions already point at it (the ledger must keep its explanation).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.affiliates.models import Affiliate, CommissionLedger, CommissionLevel, CommissionModel, CommissionRule
from crm.core.exceptions import Conflict
from crm.core.services import record_activity

MODEL_FIELDS = ("name", "grey_labeling_enabled", "sub_commission_model", "is_default", "hold_days", "is_enabled")
RULE_FIELDS = (
    "kind",
    "amount",
    "percent",
    "currency",
    "min_deposit",
    "countries",
    "instruments",
    "instrument_groups",
    "min_holding_seconds",
    "cap_amount",
    "is_enabled",
)


def _check_levels(levels: list[dict[str, Any]]) -> None:
    numbers = [level["level"] for level in levels]
    if len(numbers) != len(set(numbers)):
        raise ValidationError({"levels": [_("Each level number once.")]})


def _save_rules(level: CommissionLevel, rules: list[dict[str, Any]], *, index: int) -> None:
    existing = {rule.pk: rule for rule in level.rules.all()}
    kept = set()
    for position, values in enumerate(rules):
        rule = existing.get(values["id"]) if values.get("id") else None
        rule = rule or CommissionRule(level=level)
        for name in RULE_FIELDS:
            if name in values:
                setattr(rule, name, values[name])
        try:
            rule.full_clean(exclude=["level"])
        except ValidationError as exc:
            raise ValidationError(
                {f"levels.{index}.rules.{position}.{key}": value for key, value in exc.message_dict.items()}
            ) from exc
        rule.save()
        kept.add(rule.pk)
    dropped = [pk for pk in existing if pk not in kept]
    used = set(CommissionLedger.objects.filter(rule_id__in=dropped).values_list("rule_id", flat=True).distinct())
    CommissionRule.objects.filter(pk__in=used).update(is_enabled=False)
    CommissionRule.objects.filter(pk__in=set(dropped) - used).delete()


def _save_levels(model: CommissionModel, levels: list[dict[str, Any]]) -> None:
    _check_levels(levels)
    existing = {level.level: level for level in model.levels.prefetch_related("rules")}
    for index, values in enumerate(sorted(levels, key=lambda row: row["level"])):
        level = existing.pop(values["level"], None) or CommissionLevel(commission_model=model, level=values["level"])
        level.name = values.get("name", level.name) or ""
        level.save()
        _save_rules(level, values.get("rules", []), index=index)
    for level in existing.values():
        _save_rules(level, [], index=0)
        if not CommissionRule.objects.filter(level=level).exists():
            level.delete()


@transaction.atomic
def save_commission_model(
    model: CommissionModel | None, *, levels: list[dict[str, Any]], actor, **values: Any
) -> CommissionModel:
    """Create or update a commission model with its levels and rules, all or nothing; logged."""
    creating = model is None
    model = CommissionModel() if model is None else CommissionModel.objects.select_for_update().get(pk=model.pk)
    for name in MODEL_FIELDS:
        if name in values:
            setattr(model, name, values[name])
    if model.sub_commission_model_id and model.sub_commission_model_id == model.pk:
        raise ValidationError({"sub_commission_model": [_("A model cannot be its own sub-model.")]})
    if model.is_default:
        CommissionModel.objects.filter(is_default=True).exclude(pk=model.pk).update(is_default=False)
    model.full_clean()
    model.save()
    _save_levels(model, levels)
    record_activity(
        actor=actor,
        action="affiliates.commission_model_created" if creating else "affiliates.commission_model_updated",
        target=model,
        data={"levels": sorted(level["level"] for level in levels)},
    )
    return model


@transaction.atomic
def delete_commission_model(model: CommissionModel, *, actor) -> None:
    """Delete a model nobody uses: refused (409) while an affiliate is on it or a commission names its rules."""
    model = CommissionModel.objects.select_for_update().get(pk=model.pk)
    if Affiliate.objects.filter(commission_model=model).exists():
        raise Conflict(_("Affiliates are on this commission model."), code="commission_model_in_use")
    if CommissionLedger.objects.filter(rule__level__commission_model=model).exists():
        raise Conflict(
            _("Commissions were calculated with this model; disable it instead."), code="commission_model_in_use"
        )
    record_activity(actor=actor, action="affiliates.commission_model_deleted", target=model)
    CommissionModel.objects.filter(sub_commission_model=model).update(sub_commission_model=None)
    model.delete()
