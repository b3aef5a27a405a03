"""Writes of the trading configuration beyond instruments: assets, market groups, the category tree, session
overrides, commission profiles and rules (priorities re-sequenced 1..n), downtimes, position durations, max
risks and platform adapters. Each write is validated (`full_clean`), logged, and whole or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import Conflict, DomainError
from crm.core.services import changed_fields, record_activity, snapshot
from crm.trading import selectors
from crm.trading.models import (
    CommissionProfile,
    CommissionRule,
    Instrument,
    MarketCategory,
    MaxRisk,
    PlatformAdapter,
    PositionDuration,
)

M = TypeVar("M", bound=models.Model)
MAX_TREE_DEPTH = 10


@transaction.atomic
def save_config(
    instance: M, *, actor: Any, related: dict[str, Iterable[models.Model]] | None = None, **values: Any
) -> M:
    """Create or change one configuration row (any of this module's models); `related` sets many-to-many fields."""
    before = snapshot(instance, list(values))
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    created = instance.pk is None
    instance.save()
    for name, items in (related or {}).items():
        getattr(instance, name).set(items)
    label = instance._meta.model_name
    record_activity(
        actor=actor,
        action=f"trading.{label}_{'created' if created else 'changed'}",
        target=instance,
        changes=changed_fields(instance, before),
    )
    return instance


@transaction.atomic
def delete_config(instance: models.Model, *, actor: Any) -> None:
    """Delete a configuration row; one still in use (protected) is refused with `in_use`."""
    label = instance._meta.model_name
    record_activity(actor=actor, action=f"trading.{label}_deleted", target=instance, data={"name": str(instance)})
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as exc:
        raise Conflict(_("It is still in use."), code="in_use") from exc


# Default options --------------------------------------------------------------------------------------------


@transaction.atomic
def save_position_duration(instance: PositionDuration, *, actor: Any, **values: Any) -> PositionDuration:
    """Save a duration option; one marked default takes the mark from the others."""
    if values.get("is_default"):
        PositionDuration.objects.exclude(pk=instance.pk).filter(is_default=True).update(is_default=False)
    return save_config(instance, actor=actor, **values)


@transaction.atomic
def save_max_risk(instance: MaxRisk, *, actor: Any, **values: Any) -> MaxRisk:
    """Save a max-risk option; one marked default takes the mark from the others."""
    if values.get("is_default"):
        MaxRisk.objects.exclude(pk=instance.pk).filter(is_default=True).update(is_default=False)
    return save_config(instance, actor=actor, **values)


# Platform adapters ------------------------------------------------------------------------------------------


@transaction.atomic
def save_adapter(
    instance: PlatformAdapter, *, actor: Any, secrets: dict[str, str] | None = None, **values: Any
) -> PlatformAdapter:
    """Create or change an adapter; `secrets` (when given) replace its credentials, encrypted at rest."""
    if secrets is not None:
        instance.set_secrets(secrets)
        values_logged = {**values, "secret_names": instance.secret_names}
    else:
        values_logged = values
    saved = save_config(instance, actor=actor, **values)
    if secrets is not None:
        record_activity(
            actor=actor,
            action="trading.platformadapter_secrets_changed",
            target=saved,
            data={"names": values_logged["secret_names"]},
        )
    return saved


# Market category tree ---------------------------------------------------------------------------------------


@transaction.atomic
def replace_category_tree(nodes: Sequence[dict[str, Any]], *, actor: Any) -> list[MarketCategory]:
    """Replace the whole category tree with `nodes` ({id?, name, categories: [...], markets: [instrument ids]}).

    A node with the `id` of an existing category keeps that row (renamed, moved); categories not in the new tree
    are deleted; an unknown id or market, or an id used twice, is refused and nothing changes.
    """
    existing = {category.pk: category for category in MarketCategory.objects.select_for_update()}
    seen: set[int] = set()
    instruments = set(Instrument.objects.values_list("pk", flat=True))
    errors: list[str] = []
    kept: list[MarketCategory] = []

    def visit(items: Sequence[dict[str, Any]], parent: MarketCategory | None, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            errors.append(_("The tree is deeper than %(depth)d levels.") % {"depth": MAX_TREE_DEPTH})
            return
        for position, item in enumerate(items):
            pk = item.get("id")
            if pk is not None and (pk not in existing or pk in seen):
                errors.append(_("Category %(id)s is unknown or appears twice.") % {"id": pk})
                continue
            unknown = [market for market in item.get("markets", []) if market not in instruments]
            if unknown:
                errors.append(_("Unknown markets: %(ids)s.") % {"ids": ", ".join(str(m) for m in unknown)})
                continue
            category = existing[pk] if pk is not None else MarketCategory()
            if pk is not None:
                seen.add(pk)
            category.name, category.parent, category.position = item["name"], parent, position
            if not errors:
                category.save()
                category.instruments.set(item.get("markets", []))
                kept.append(category)
            visit(item.get("categories", []), category, depth + 1)

    visit(nodes, None, 1)
    if errors:
        raise DomainError(errors[0], code="invalid_tree", fields={"categories": errors})
    MarketCategory.objects.filter(pk__in=set(existing) - seen).delete()
    record_activity(actor=actor, action="trading.category_tree_replaced", data={"categories": len(kept)})
    return kept


def category_tree() -> list[dict[str, Any]]:
    """The whole tree as nested dicts (id, name, markets, categories), in three queries."""
    categories = list(MarketCategory.objects.order_by("position", "pk"))
    links = MarketCategory.instruments.through.objects.select_related("instrument").order_by(
        "instrument__sort_order", "instrument__symbol"
    )
    markets: dict[int, list[Instrument]] = {}
    for link in links:
        markets.setdefault(link.marketcategory_id, []).append(link.instrument)
    children: dict[int | None, list[MarketCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)

    def node(category: MarketCategory) -> dict[str, Any]:
        return {
            "id": category.pk,
            "name": category.name,
            "markets": markets.get(category.pk, []),
            "categories": [node(child) for child in children.get(category.pk, [])],
        }

    return [node(category) for category in children.get(None, [])]


# Commission rules -------------------------------------------------------------------------------------------


def _scope_clash(profile: CommissionProfile, rule: CommissionRule) -> str | None:
    others = CommissionRule.objects.filter(profile=profile).exclude(pk=rule.pk)
    if rule.instrument_id is not None and rule.market_group_id is not None:
        return _("A rule is for a market or for a market group, not both.")
    if rule.instrument_id is not None:
        clash = others.filter(instrument_id=rule.instrument_id).exists()
    elif rule.market_group_id is not None:
        clash = others.filter(market_group_id=rule.market_group_id).exists()
    else:
        clash = others.filter(instrument__isnull=True, market_group__isnull=True).exists()
    return _("The profile already has a rule for this scope.") if clash else None


def validate_rule_scope(rule: CommissionRule, *, instrument: Any, market_group: Any) -> None:
    """The dry run of a scope change (001 validate-update): refuses what `update_rule` would refuse."""
    candidate = CommissionRule(
        pk=rule.pk, profile=rule.profile, instrument=instrument, market_group=market_group, priority=rule.priority
    )
    problem = _scope_clash(rule.profile, candidate)
    if problem is None and rule.is_default and not candidate.is_default:
        problem = _("The default rule stays the default; add a rule for the market instead.")
    if problem:
        raise DomainError(problem, code="invalid_rule_scope", fields={"marketId": [problem]})


def validate_rule_delete(rule: CommissionRule) -> None:
    """The dry run of a deletion (001 validate-delete): the default rule of a profile in use cannot go."""
    if rule.is_default and rule.profile.group_settings.exists():
        raise DomainError(
            _("The default rule of a profile used by account groups cannot be deleted."), code="rule_in_use"
        )


def _resequence(profile: CommissionProfile, order: list[CommissionRule]) -> None:
    """Priorities 1..n in the given order (the unique constraint is checked at commit, so swaps are fine)."""
    for priority, rule in enumerate(order, start=1):
        if rule.priority != priority:
            CommissionRule.objects.filter(pk=rule.pk).update(priority=priority)
            rule.priority = priority


def _apply_priorities(
    profile: CommissionProfile, ordered: list[CommissionRule], priorities: Sequence[dict[str, int]]
) -> list[CommissionRule]:
    """`ordered` re-sorted by explicit priorities ({rule id: priority}); the rules not named fill the rest in order.

    The named rules are placed first, by the priority asked and, for equal priorities, in their current order
    (their place in `ordered`): each takes the priority it asked for or, when an earlier one took it, the next
    one; a priority past the end means last (the named rules stay in that order at the end). The other rules keep
    their relative order in the priorities left. A rule named twice counts with its last priority.
    """
    wanted = {item["commissionProfileRuleId"]: item["priority"] for item in priorities}
    known = {rule.pk for rule in ordered}
    unknown = sorted(set(wanted) - known)
    if unknown:
        message = _("Rules %(ids)s are not in this profile.") % {"ids": ", ".join(str(pk) for pk in unknown)}
        raise DomainError(message, code="not_found", fields={"priorities": [message]})
    named = sorted(
        ((wanted[rule.pk], index, rule) for index, rule in enumerate(ordered) if rule.pk in wanted),
        key=lambda item: (item[0], item[1]),
    )
    total, count = len(ordered), len(named)
    slots: dict[int, CommissionRule] = {}
    previous = 0
    for position, (asked, _index, rule) in enumerate(named):
        previous = min(max(asked, previous + 1), total - (count - 1 - position))
        slots[previous] = rule
    others = iter(rule for rule in ordered if rule.pk not in wanted)
    return [slots[priority] if priority in slots else next(others) for priority in range(1, total + 1)]


def _save_rule(rule: CommissionRule, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(rule, name, value)
    problem = _scope_clash(rule.profile, rule)
    if problem:
        raise DomainError(problem, code="invalid_rule_scope", fields={"marketId": [problem]})
    try:
        rule.full_clean(exclude=["priority"], validate_constraints=False)
    except ValidationError as exc:
        raise DomainError(_("The rule is not valid."), code="invalid", fields=exc.message_dict) from exc
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:  # a concurrent rule took the scope
        raise DomainError(_("The profile already has a rule for this scope."), code="invalid_rule_scope") from exc


@transaction.atomic
def create_rule(
    profile: CommissionProfile,
    *,
    actor: Any,
    priority: int | None = None,
    priorities: Sequence[dict[str, int]] = (),
    **values: Any,
) -> CommissionRule:
    """Add a rule at `priority` (last by default), moving the rules from there down one, then apply `priorities`."""
    profile = CommissionProfile.objects.select_for_update().get(pk=profile.pk)
    ordered = list(profile.rules.order_by("priority", "pk"))
    rule = CommissionRule(profile=profile, priority=len(ordered) + 1)
    _save_rule(rule, values)
    at = min(max(priority or len(ordered) + 1, 1), len(ordered) + 1)
    ordered.insert(at - 1, rule)
    _resequence(profile, _apply_priorities(profile, ordered, priorities))
    record_activity(actor=actor, action="trading.commission_rule_created", target=rule, data={"profile": profile.pk})
    return rule


@transaction.atomic
def update_rule(
    rule: CommissionRule, *, actor: Any, priorities: Sequence[dict[str, int]] = (), **values: Any
) -> CommissionRule:
    """Change a rule's scope and fees (not its priority), then apply `priorities` to the profile."""
    profile = CommissionProfile.objects.select_for_update().get(pk=rule.profile_id)
    rule = CommissionRule.objects.get(pk=rule.pk)
    if "instrument" in values or "market_group" in values:
        validate_rule_scope(
            rule,
            instrument=values.get("instrument", rule.instrument),
            market_group=values.get("market_group", rule.market_group),
        )
    before = snapshot(rule, list(values))
    _save_rule(rule, values)
    ordered = list(profile.rules.order_by("priority", "pk"))
    _resequence(profile, _apply_priorities(profile, ordered, priorities))
    record_activity(
        actor=actor, action="trading.commission_rule_changed", target=rule, changes=changed_fields(rule, before)
    )
    return rule


@transaction.atomic
def delete_rule(rule: CommissionRule, *, actor: Any) -> None:
    """Delete a rule and close the gap in the priorities."""
    profile = CommissionProfile.objects.select_for_update().get(pk=rule.profile_id)
    validate_rule_delete(rule)
    record_activity(actor=actor, action="trading.commission_rule_deleted", target=rule, data={"profile": profile.pk})
    rule.delete()
    _resequence(profile, list(profile.rules.order_by("priority", "pk")))


@transaction.atomic
def set_rule_priorities(profile: CommissionProfile, priorities: Sequence[dict[str, int]], *, actor: Any) -> None:
    """Bulk re-order (001 PUT rules/priorities): the named rules take their priorities, the rest follow, 1..n."""
    profile = CommissionProfile.objects.select_for_update().get(pk=profile.pk)
    ordered = list(profile.rules.order_by("priority", "pk"))
    _resequence(profile, _apply_priorities(profile, ordered, priorities))
    record_activity(
        actor=actor, action="trading.commission_rules_reordered", target=profile, data={"rules": len(ordered)}
    )


def matching_rule(profile: CommissionProfile, instrument: Instrument) -> CommissionRule | None:
    """The first rule by priority that applies to the instrument: its own, its market group's, or the default."""
    return selectors.commission_rule(profile.pk, instrument)
