"""Staff notes and contacts on clients: comments, logged calls, emails by staff, bookmarks.

A comment, a call or an email by staff is a contact: it stamps the client's `last_contact_at`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.customers.models import Call, Comment, Customer
from crm.users.models import User


@transaction.atomic
def add_comment(customer: Customer, *, body: str, actor: User) -> Comment:
    """Add a staff note to a client and stamp the client's last comment and last contact times."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("The comment is empty."), code="empty_comment", fields={"body": [_("Required.")]})
    comment = Comment.objects.create(customer=customer, author=actor, body=body)
    Customer.objects.filter(pk=customer.pk).update(
        last_comment_at=comment.created_at, last_contact_at=comment.created_at
    )
    record_activity(actor=actor, action="customer.commented", target=customer, data={"comment_id": comment.pk})
    return comment


@transaction.atomic
def log_call(customer: Customer, *, outcome: str, actor: User, note: str = "") -> Call:
    """Record a call an agent had (or tried) with the client and its outcome; stamps the last contact time."""
    if outcome not in Call.Outcome.values:
        raise DomainError("Unknown call outcome.", code="invalid_outcome", fields={"outcome": ["Unknown outcome."]})
    call = Call.objects.create(customer=customer, agent=actor, outcome=outcome, note=(note or "").strip())
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=call.created_at)
    record_activity(
        actor=actor,
        action="customer.call_logged",
        target=customer,
        data={"call_id": call.pk, "outcome": outcome, "note": call.note[:500]},
    )
    return call


@transaction.atomic
def email_customer(customer: Customer, *, subject: str, body: str, actor: User) -> Customer:
    """Email the client from staff (replies go to the staff member) and stamp the last contact time.

    The email goes out through its template (communications handles `customer.emailed`): it is in the client's
    outbound log and timeline, with its delivery status.
    """
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {name: ["Required."] for name, value in (("subject", subject), ("body", body)) if not value}
    if errors:
        raise DomainError("The request has invalid fields.", code="validation_error", fields=errors)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.email:
        raise DomainError(_("The client has no email address."), code="no_email", fields={"email": [_("Missing.")]})
    activity = record_activity(
        actor=actor, action="customer.emailed", target=customer, data={"subject": subject[:255]}
    )
    emit(
        "customer.emailed",
        customer_id=customer.pk,
        subject=subject[:255],
        body=body,
        reply_to=actor.email if actor else "",
    )
    customer.last_contact_at = activity.created_at
    customer.save(update_fields=["last_contact_at", "updated_at"])
    return customer


def bookmark_customer(customer: Customer, *, user: User) -> None:
    """Bookmarking twice keeps one bookmark."""
    customer.bookmarks.get_or_create(user=user)


def remove_bookmark(customer: Customer, *, user: User) -> None:
    """Removing a bookmark that is not there changes nothing."""
    customer.bookmarks.filter(user=user).delete()
