"""Staff notes on clients: comments and bookmarks."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.customers.models import Comment, Customer
from crm.users.models import User


@transaction.atomic
def add_comment(customer: Customer, *, body: str, actor: User) -> Comment:
    """Add a staff note to a client and stamp the client's last comment time."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("The comment is empty."), code="empty_comment", fields={"body": [_("Required.")]})
    comment = Comment.objects.create(customer=customer, author=actor, body=body)
    Customer.objects.filter(pk=customer.pk).update(last_comment_at=comment.created_at)
    record_activity(actor=actor, action="customer.commented", target=customer, data={"comment_id": comment.pk})
    return comment


def bookmark_customer(customer: Customer, *, user: User) -> None:
    """Bookmarking twice keeps one bookmark."""
    customer.bookmarks.get_or_create(user=user)


def remove_bookmark(customer: Customer, *, user: User) -> None:
    """Removing a bookmark that is not there changes nothing."""
    customer.bookmarks.filter(user=user).delete()
