"""Routing new leads to a desk and an agent: assignment rules, then round-robin inside the desk."""

from __future__ import annotations

from collections import defaultdict

from crm.sales.models import AssignmentRule, Lead
from crm.users import services as users_services
from crm.users.models import Desk


def active_rules() -> list[AssignmentRule]:
    return list(
        AssignmentRule.objects.filter(is_active=True).select_related("desk", "agent").order_by("priority", "pk")
    )


def matching_rule(lead: Lead, rules: list[AssignmentRule]) -> AssignmentRule | None:
    """The first rule (by priority) whose countries, languages and sources all match the lead."""
    return _first_rule(str(lead.country or ""), lead.language, lead.source, rules)


def _first_rule(country: str, language: str, source: str, rules: list[AssignmentRule]) -> AssignmentRule | None:
    for rule in rules:
        if rule.matches(country=country, language=language, source=source):
            return rule
    return None


# What routing reads of a new lead: (country, language, source, desk_id, sales_person_id).
Wanted = tuple[str, str, str, int | None, int | None]


def plan_routes(leads: list[Wanted], *, rules: list[AssignmentRule]) -> list[tuple[int | None, int | None]]:
    """The (desk_id, sales_person_id) of each new lead, in order.

    A lead that already has a sales person is left alone (manual override). A lead with a desk but no
    sales person gets the desk's next agent; otherwise the first matching rule names the desk and maybe
    the agent. Inside a desk, agents take turns in id order, skipping inactive and absent ones, so a batch
    is spread evenly; desks are locked in id order. Must run inside a transaction.
    """
    routes: list[tuple[int | None, int | None]] = []
    waiting: dict[int, list[int]] = defaultdict(list)
    desks: dict[int, Desk] = {}
    rule_for: dict[tuple[str, str, str], AssignmentRule | None] = {}  # a batch has few distinct keys
    for index, (country, language, source, desk_id, sales_person_id) in enumerate(leads):
        if sales_person_id:
            routes.append((desk_id, sales_person_id))
            continue
        if desk_id is None:
            key = (country, language, source)
            if key not in rule_for:
                rule_for[key] = _first_rule(country, language, source, rules)
            rule = rule_for[key]
            if rule is None:
                routes.append((None, None))
                continue
            desk_id = rule.desk_id
            desks[desk_id] = rule.desk
            if rule.agent is not None and rule.agent.is_active and not rule.agent.is_absent:
                routes.append((desk_id, rule.agent_id))
                continue
        routes.append((desk_id, None))
        waiting[desk_id].append(index)
    for desk_id in sorted(waiting):
        desk = desks.get(desk_id) or Desk.objects.get(pk=desk_id)
        agents = users_services.next_desk_agents(desk, len(waiting[desk_id]))
        for index, agent in zip(waiting[desk_id], agents, strict=False):
            routes[index] = (desk_id, agent.pk)
    return routes


def route_leads(leads: list[Lead], *, rules: list[AssignmentRule] | None = None) -> None:
    """Give each unassigned lead (in memory, not saved) a desk and an agent, as `plan_routes` says."""
    rules = active_rules() if rules is None else rules
    wanted = [
        (str(lead.country or ""), lead.language, lead.source, lead.desk_id, lead.sales_person_id) for lead in leads
    ]
    for lead, (desk_id, sales_person_id) in zip(leads, plan_routes(wanted, rules=rules), strict=True):
        if lead.desk_id != desk_id:
            lead.desk_id = desk_id
        if lead.sales_person_id != sales_person_id:
            lead.sales_person_id = sales_person_id
