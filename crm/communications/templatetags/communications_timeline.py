"""`{% load communications_timeline %}{% communications_timeline obj %}`: the communications box of the client
and lead pages (`crm.communications.timeline`)."""

from __future__ import annotations

from typing import Any

from django import template

from crm.communications import timeline
from crm.customers.models import Customer
from crm.sales.models import Lead

register = template.Library()
SHOWN = 30


@register.inclusion_tag("admin/communications/timeline.html")
def communications_timeline(subject: Customer | Lead | None) -> dict[str, Any]:
    """The newest entries of the client's or lead's timeline; nothing on an add page."""
    if subject is None or subject.pk is None:
        return {"entries": None}
    built = timeline.customer_timeline(subject) if isinstance(subject, Customer) else timeline.lead_timeline(subject)
    entries = [(entry, timeline.label(entry.channel)) for entry in built[:SHOWN]]
    return {"entries": entries, "total": built.count()}
