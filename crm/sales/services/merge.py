"""Merging two records of one person: the kept lead takes the other's comments, communications and history."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.sales.models import Lead, LeadComment, LeadCommunication
from crm.sales.services.history import copy_history
from crm.users.models import User

# Fields the kept lead takes from the merged one when it has none of its own.
FILLED_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "language",
    "source",
    "campaign",
    "affiliate_id",
    "external_id",
    "sub_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "sales_status_id",
    "sales_person_id",
    "desk_id",
    "last_contact_at",
    "follow_up_at",
    "customer_id",
]


@transaction.atomic
def merge_leads(keep: Lead, other: Lead, *, actor: User | None) -> Lead:
    """Merge `other` into `keep`: blanks of `keep` are filled from `other`, comments and communications move,
    `other`'s history is copied onto `keep`, and `other` stays (read-only, hidden from lists) pointing at `keep`.
    """
    if keep.pk == other.pk:
        raise DomainError(_("A lead cannot be merged into itself."), code="merge_same_lead")
    first, second = sorted([keep.pk, other.pk])
    locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    keep, other = locked[keep.pk], locked[other.pk]
    if keep.merged_into_id or other.merged_into_id:
        raise DomainError(_("One of the leads is already merged."), code="already_merged")
    filled = {}
    for name in FILLED_FIELDS:
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
            filled[name] = [None, getattr(other, name)]
    if keep.duplicate_of_id == other.pk:
        keep.duplicate_of_id, keep.duplicate_score = None, 0
    keep.save()
    moved_comments = LeadComment.objects.filter(lead=other).update(lead=keep)
    moved_communications = LeadCommunication.objects.filter(lead=other).update(lead=keep)
    copied = copy_history(other, to=keep, note="merged_from_lead")
    Lead.objects.filter(duplicate_of=other).update(duplicate_of=keep)
    other.merged_into = keep
    other.save(update_fields=["merged_into", "updated_at"])
    data = {"other_lead_id": other.pk, "comments": moved_comments, "communications": moved_communications}
    record_activity(actor=actor, action="lead.merged", target=keep, changes=filled, data={**data, "history": copied})
    record_activity(actor=actor, action="lead.merged_into", target=other, data={"kept_lead_id": keep.pk})
    emit("lead.merged", lead_id=keep.pk, merged_lead_id=other.pk)
    return keep
