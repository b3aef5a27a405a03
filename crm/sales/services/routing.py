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
    for rule in rules:
        if rule.matches(country=str(lead.country or ""), language=lead.language, source=lead.source):
            return rule
    return None


def route_leads(leads: list[Lead], *, rules: list[AssignmentRule] | None = None) -> None:
    """Give each unassigned lead (in memory, not saved) a desk and an agent.

    A lead that already has a sales person is left alone (manual override). A lead with a desk but no
    sales person gets the desk's next agent; otherwise the first matching rule names the desk and maybe
    the agent. Inside a desk, agents take turns in id order, skipping inactive and absent ones, so a batch
    is spread evenly; desks are locked in id order. Must run inside a transaction.
    """
    rules = active_rules() if rules is None else rules
    waiting: dict[int, list[Lead]] = defaultdict(list)
    desks: dict[int, Desk] = {}
    for lead in leads:
        if lead.sales_person_id:
            continue
        if lead.desk_id is None:
            rule = matching_rule(lead, rules)
            if rule is None:
                continue
            lead.desk = rule.desk
            if rule.agent_id and rule.agent.is_active and not rule.agent.is_absent:
                lead.sales_person = rule.agent
                continue
        desks[lead.desk_id] = lead.desk
        waiting[lead.desk_id].append(lead)
    for desk_id in sorted(waiting):
        agents = users_services.next_desk_agents(desks[desk_id], len(waiting[desk_id]))
        for lead, agent in zip(waiting[desk_id], agents, strict=False):
            lead.sales_person = agent
