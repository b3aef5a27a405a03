"""Working a lead: create, update, claim, assign, status, comment, email, follow-up, bulk edit.

Every write locks the lead, logs the activity and emits its outbox event in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import Conflict, DomainError, PermissionDenied
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import SalesStatus
from crm.sales.models import Lead, LeadComment, LeadCommunication
from crm.sales.phones import normalize_phone
from crm.sales.services.duplicates import Keys, find_duplicate, normalize_email
from crm.sales.services.routing import route_leads
from crm.users.models import User

EDITABLE_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "language",
    "can_be_called",
    "source",
    "campaign",
    "affiliate",
    "external_id",
    "sub_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "sales_status",
    "sales_person",
    "desk",
]
ASSIGNMENT_FIELDS = ("sales_person", "desk")
_UNSET: Any = object()


def _check_agent(agent: User | None, field: str = "sales_person") -> None:
    if agent is not None and not (agent.is_staff and agent.is_active and not agent.is_service_account):
        raise DomainError(
            _("Leads go to active staff members only."),
            code="invalid_agent",
            fields={field: [_("Not an active agent.")]},
        )


def clean_contact(values: dict[str, Any]) -> None:
    """Normalise email (lower case) and phone (E.164) in place; field errors when they are not valid."""
    errors: dict[str, list[str]] = {}
    if "email" in values:
        values["email"] = normalize_email(values["email"])
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                errors["email"] = [_("Enter a valid email address.")]
    if "phone" in values:
        try:
            values["phone"] = normalize_phone(values["phone"], str(values.get("country") or ""))
        except ValueError:
            errors["phone"] = [_("Enter a valid phone number, in international format (+44...) or with a country.")]
    if errors:
        raise DomainError(_("The request has invalid fields."), code="validation_error", fields=errors)


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _log(lead: Lead, action: str, *, actor: User | None, changes=None, data=None, **payload: Any) -> None:
    record_activity(actor=actor, action=action, target=lead, changes=changes, data=data)
    emit(action, lead_id=lead.pk, **payload)


@transaction.atomic
def create_lead(*, actor: User | None, route: bool = True, **values: Any) -> Lead:
    """Create a lead; it is scored against earlier leads and clients, flagged and linked when it matches.

    Without a named sales person the assignment rules route it (a desk and maybe an agent, round-robin).
    A staff member who sees only their own leads becomes the sales person when nobody is named.
    """
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    values.setdefault("email", "")
    values.setdefault("phone", "")
    clean_contact(values)
    if not values["email"] and not values["phone"]:
        raise DomainError(
            _("A lead needs an email or a phone number."),
            code="no_contact",
            fields={"email": [_("Give an email or a phone number.")]},
        )
    _check_agent(values.get("sales_person"))
    # A staff member who sees only their own leads must not create a lead they cannot open again.
    sees_own_only = actor is not None and not actor.has_perm("sales.view_all_leads")
    if (
        sees_own_only
        and actor is not None
        and not values.get("sales_person")
        and actor.is_staff
        and not actor.is_service_account
    ):
        values["sales_person"] = actor
    lead = Lead(**values)
    match = find_duplicate(
        Keys(lead.email, lead.phone, lead.external_id, lead.affiliate_id),
    )
    lead.duplicate_score, lead.duplicate_of_id, lead.duplicate_customer_id = (
        match.score,
        match.lead_id,
        match.customer_id,
    )
    if route:
        route_leads([lead])
    lead.full_clean(exclude=["signup_code"])
    lead.save()
    data = {"duplicate_score": match.score, "duplicate_keys": match.keys} if match.score else None
    _log(lead, "lead.created", actor=actor, data=data, sales_person_id=lead.sales_person_id)
    if lead.sales_person_id:
        emit("lead.assigned", lead_id=lead.pk, sales_person_id=lead.sales_person_id, desk_id=lead.desk_id)
    return lead


@transaction.atomic
def update_lead(lead: Lead, *, actor: User | None, **values: Any) -> Lead:
    """Change a lead's fields; the history keeps old and new values. Contact changes re-score duplicates."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    lead = _locked(lead)
    if "phone" in values and "country" not in values:
        values["country"] = lead.country
    clean_contact(values)
    _check_agent(values.get("sales_person"))
    before = snapshot(lead, list(values))
    for name, value in values.items():
        setattr(lead, name, value)
    if {"email", "phone", "external_id"} & set(values):
        match = find_duplicate(Keys(lead.email, lead.phone, lead.external_id, lead.affiliate_id), exclude_lead=lead.pk)
        lead.duplicate_score, lead.duplicate_customer_id = match.score, match.customer_id
        lead.duplicate_of_id = match.lead_id if match.lead_id and match.lead_id < lead.pk else lead.duplicate_of_id
    lead.full_clean(exclude=["signup_code"])
    lead.save()
    changes = changed_fields(lead, before)
    if changes:
        _log(lead, "lead.updated", actor=actor, changes=changes, fields=sorted(changes))
    return lead


@transaction.atomic
def claim_lead(lead: Lead, *, actor: User) -> Lead:
    """Take an unassigned lead. Claiming one's own lead again changes nothing; another agent's lead is refused."""
    lead = _locked(lead)
    if lead.sales_person_id == actor.pk:
        return lead
    if lead.sales_person_id is not None:
        raise Conflict(_("This lead already has a sales person."), code="lead_already_assigned")
    _check_agent(actor)
    lead.sales_person = actor
    lead.save(update_fields=["sales_person", "updated_at"])
    _log(
        lead,
        "lead.claimed",
        actor=actor,
        changes={"sales_person_id": [None, actor.pk]},
        sales_person_id=actor.pk,
    )
    emit("lead.assigned", lead_id=lead.pk, sales_person_id=actor.pk, desk_id=lead.desk_id)
    return lead


@transaction.atomic
def assign_lead(lead: Lead, *, sales_person: User | None, actor: User | None, desk=_UNSET) -> Lead:
    """Give a lead to a sales person (None: unassign), optionally moving it to a desk (manual override)."""
    _check_agent(sales_person)
    lead = _locked(lead)
    before = snapshot(lead, ["sales_person", "desk"])
    lead.sales_person = sales_person
    if desk is not _UNSET:
        lead.desk = desk
    changes = changed_fields(lead, before)
    if not changes:
        return lead
    lead.save(update_fields=["sales_person", "desk", "updated_at"])
    _log(
        lead, "lead.assigned", actor=actor, changes=changes, sales_person_id=lead.sales_person_id, desk_id=lead.desk_id
    )
    return lead


@transaction.atomic
def change_lead_status(lead: Lead, *, sales_status: SalesStatus | None, actor: User | None) -> Lead:
    """Set a lead's sales status; setting the same status again changes nothing."""
    lead = _locked(lead)
    new = sales_status.pk if sales_status else None
    if lead.sales_status_id == new:
        return lead
    old = lead.sales_status_id
    lead.sales_status = sales_status
    lead.save(update_fields=["sales_status", "updated_at"])
    _log(lead, "lead.status_changed", actor=actor, changes={"sales_status_id": [old, new]}, sales_status_id=new)
    return lead


@transaction.atomic
def add_lead_comment(lead: Lead, *, body: str, actor: User, is_contact: bool = False) -> LeadComment:
    """Add a note; `is_contact` (the note records a call or a meeting) also stamps the last contact time."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("The comment is empty."), code="empty_comment", fields={"comment": [_("Required.")]})
    lead = _locked(lead)
    comment = LeadComment.objects.create(lead=lead, author=actor, body=body)
    if is_contact:
        lead.last_contact_at = comment.created_at
    lead.save(update_fields=["last_contact_at", "updated_at"])
    _log(
        lead,
        "lead.commented",
        actor=actor,
        data={"comment_id": comment.pk, "comment": body[:500], "contact": is_contact},
        comment_id=comment.pk,
    )
    return comment


@transaction.atomic
def send_lead_email(lead: Lead, *, subject: str, body: str, actor: User) -> LeadCommunication:
    """Email the lead and record it in their communications; the last contact time moves to now.

    The email goes out through its template (communications handles `lead.emailed`), in the outbound log with its
    delivery status.
    """
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {name: ["Required."] for name, value in (("subject", subject), ("body", body)) if not value}
    if errors:
        raise DomainError(_("The request has invalid fields."), code="validation_error", fields=errors)
    lead = _locked(lead)
    if not lead.email:
        raise DomainError(_("The lead has no email address."), code="no_email", fields={"email": [_("Missing.")]})
    communication = LeadCommunication.objects.create(
        lead=lead,
        channel=LeadCommunication.Channel.EMAIL,
        staff=actor,
        recipient=lead.email,
        subject=subject[:255],
        body=body,
    )
    lead.last_contact_at = communication.created_at
    lead.save(update_fields=["last_contact_at", "updated_at"])
    _log(
        lead,
        "lead.emailed",
        actor=actor,
        data={"subject": subject[:255]},
        communication_id=communication.pk,
        subject=subject[:255],
        body=body,
        to_email=lead.email,
        reply_to=actor.email if actor else "",
        language=lead.language,
    )
    return communication


@transaction.atomic
def log_lead_call(lead: Lead, *, note: str, answered: bool, actor: User | None) -> LeadCommunication:
    """Record a phone call with the lead (placed through the VoIP provider) in their communications; the last
    contact time moves to now."""
    lead = _locked(lead)
    communication = LeadCommunication.objects.create(
        lead=lead,
        channel=LeadCommunication.Channel.CALL,
        status=LeadCommunication.Status.SENT if answered else LeadCommunication.Status.FAILED,
        staff=actor,
        recipient=str(lead.phone or ""),
        subject=note[:255],
    )
    lead.last_contact_at = communication.created_at
    lead.save(update_fields=["last_contact_at", "updated_at"])
    _log(lead, "lead.called", actor=actor, data={"note": note[:255]}, communication_id=communication.pk)
    return communication


@transaction.atomic
def set_follow_up(lead: Lead, *, follow_up_at: dt.datetime | None, note: str = "", actor: User | None) -> Lead:
    """Set (or clear, with None) the date the agent must come back to the lead, with a short note."""
    if follow_up_at is not None and timezone.is_naive(follow_up_at):
        raise DomainError(_("Give the follow-up time with a time zone."), code="naive_datetime")
    lead = _locked(lead)
    before = snapshot(lead, ["follow_up_at", "follow_up_note"])
    lead.follow_up_at, lead.follow_up_note = follow_up_at, (note or "").strip()[:255]
    changes = changed_fields(lead, before)
    if not changes:
        return lead
    lead.save(update_fields=["follow_up_at", "follow_up_note", "updated_at"])
    _log(
        lead,
        "lead.follow_up_set",
        actor=actor,
        changes=changes,
        follow_up_at=follow_up_at.isoformat() if follow_up_at else None,
    )
    return lead


def check_may_assign(actor: User, values: dict[str, Any]) -> None:
    """Refuse a change of sales person or desk by someone without `sales.assign_lead`."""
    if any(name in values for name in ASSIGNMENT_FIELDS) and not actor.has_perm("sales.assign_lead"):
        raise PermissionDenied(_("You may not assign leads."))


BULK_CHUNK = 1000


@transaction.atomic
def bulk_edit_leads(
    leads: QuerySet[Lead],
    *,
    actor: User | None,
    sales_status: SalesStatus | None = _UNSET,
    sales_person: User | None = _UNSET,
) -> int:
    """Set the sales status and/or sales person of every lead in `leads`; all or nothing. Returns how many changed.

    Rows are locked in id order, a chunk at a time; each changed lead gets its history row, each chunk
    one `leads.bulk_edited` event listing its leads.
    """
    from crm.core.models import Activity
    from crm.core.services import record_activity as _record

    values: dict[str, Any] = {}
    if sales_status is not _UNSET:
        values["sales_status_id"] = sales_status.pk if sales_status else None
    if sales_person is not _UNSET:
        _check_agent(sales_person)
        values["sales_person_id"] = sales_person.pk if sales_person else None
    if not values:
        raise DomainError(_("Choose a status or a sales person to set."), code="nothing_to_change")
    pks = list(leads.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(pks), BULK_CHUNK):
        chunk = list(
            Lead.objects.select_for_update()
            .filter(pk__in=pks[start : start + BULK_CHUNK])
            .order_by("pk")
            .values_list("pk", *values)
        )
        to_change = {row[0]: dict(zip(values, row[1:], strict=True)) for row in chunk}
        to_change = {pk: old for pk, old in to_change.items() if old != values}
        if not to_change:
            continue
        Lead.objects.filter(pk__in=list(to_change)).update(**values, updated_at=timezone.now())
        summary = _record(actor=actor, action="lead.bulk_edited", data={"count": len(to_change)})
        Activity.objects.bulk_create(
            Activity(
                actor=summary.actor,
                actor_repr=summary.actor_repr,
                channel=summary.channel,
                action="lead.bulk_edited",
                target_type=_lead_type(),
                target_id=str(pk),
                target_repr=f"Lead #{pk}",
                ip_address=summary.ip_address,
                changes={name: [old[name], new] for name, new in values.items() if old[name] != new},
            )
            for pk, old in to_change.items()
        )
        emit("leads.bulk_edited", lead_ids=sorted(to_change), **values)
        changed += len(to_change)
    return changed


def _lead_type():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Lead)
