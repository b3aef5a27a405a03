"""Copying a lead's history onto another record (a merged lead, the client it became)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from crm.core.models import Activity
from crm.sales.models import Lead


def copy_history(lead: Lead, *, to: models.Model, note: str) -> int:
    """Copy every history row of `lead` onto `to`, oldest first, each marked with the lead it came from.

    The copies keep the original actor, channel, time and changes, so the target's history reads as one story.
    """
    rows = list(Activity.objects.for_target(lead).order_by("created_at", "pk"))
    target_type = ContentType.objects.get_for_model(to)
    copies = [
        Activity(
            actor_id=row.actor_id,
            actor_repr=row.actor_repr,
            channel=row.channel,
            action=row.action,
            target_type=target_type,
            target_id=str(to.pk),
            target_repr=str(to)[:255],
            ip_address=row.ip_address,
            changes=row.changes,
            data={**(row.data or {}), note: lead.pk},
        )
        for row in rows
    ]
    created = Activity.objects.bulk_create(copies)
    # auto_now_add stamped the copies now; they keep the time the original happened.
    for copy, row in zip(created, rows, strict=True):
        Activity.objects.filter(pk=copy.pk).update(created_at=row.created_at)
    return len(created)
