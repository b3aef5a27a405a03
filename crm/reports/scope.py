"""Whose book a dashboard counts: everything, a desk manager's desks, or an agent's own clients and leads.

The scope is read once per page (one small query for the desks), so every figure's filter stays a few
indexed conditions instead of a join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from crm.users.models import User


@dataclass(frozen=True)
class Scope:
    """`agent_ids` None means every client and lead; otherwise the agents whose book is counted."""

    agent_ids: frozenset[int] | None
    desk_ids: frozenset[int] = field(default_factory=frozenset)
    label: str = ""

    @property
    def is_everything(self) -> bool:
        return self.agent_ids is None

    def clients(self, prefix: str = "") -> Q:
        """Clients whose conversion or retention agent is in scope (`prefix` reaches the client from a row)."""
        if self.agent_ids is None:
            return Q()
        ids = sorted(self.agent_ids)
        return Q(**{f"{prefix}conversion_agent_id__in": ids}) | Q(**{f"{prefix}retention_agent_id__in": ids})

    def leads(self) -> Q:
        """Leads of the agents in scope, and every lead of the managed desks."""
        if self.agent_ids is None:
            return Q()
        condition = Q(sales_person_id__in=sorted(self.agent_ids))
        if self.desk_ids:
            condition |= Q(desk_id__in=sorted(self.desk_ids))
        return condition


def scope_for(user: User) -> Scope:
    """Everything with `view_all_customers`; the desks a desk manager manages (members and own); else own book."""
    if user.has_perm("customers.view_all_customers"):
        return Scope(agent_ids=None, label=_("All clients and leads"))
    book = user.book
    if book.desk_ids:
        return Scope(agent_ids=book.agent_ids, desk_ids=book.desk_ids, label=_("Your desks"))
    return Scope(agent_ids=frozenset({user.pk}), label=_("Your clients and leads"))
