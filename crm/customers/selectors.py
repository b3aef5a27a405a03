"""Reads on clients that need more than a QuerySet method: annotated detail rows, history, bookmarks."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from crm.core.models import Activity
from crm.customers.models import Bookmark, Call, Comment, Customer, Document
from crm.users.models import User


def _count_of(queryset: QuerySet, *, by: str) -> Coalesce:
    # A correlated COUNT per row, not a JOIN + GROUP BY: two counts joined would multiply each other.
    counted = queryset.order_by().values(by).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def customer_list(user: User) -> QuerySet[Customer]:
    """The clients `user` may see, with every relation a list row shows, in a fixed number of queries."""
    return Customer.objects.visible_to(user).for_list()


def customer_detail(user: User) -> QuerySet[Customer]:
    """The clients `user` may see, annotated with what the client page shows (counts, bookmark flag)."""
    return with_detail(customer_list(user), user=user)


def with_detail(queryset: QuerySet[Customer], *, user: User) -> QuerySet[Customer]:
    """Adds the client page's counts and `user`'s bookmark flag to each row, as annotations."""
    return queryset.select_related("kyc_reviewed_by").annotate(
        documents_count=_count_of(Document.objects.filter(customer=OuterRef("pk")), by="customer"),
        comments_count=_count_of(Comment.objects.filter(customer=OuterRef("pk")), by="customer"),
        referrals_count=_count_of(Customer.objects.filter(introducer=OuterRef("pk")), by="introducer"),
        is_bookmarked=Exists(Bookmark.objects.filter(customer=OuterRef("pk"), user_id=user.pk)),
    )


def bookmarked_customers(user: User) -> QuerySet[Customer]:
    """The visible clients `user` bookmarked, most recently bookmarked first."""
    latest = Bookmark.objects.filter(customer=OuterRef("pk"), user_id=user.pk).values("created_at")[:1]
    return (
        customer_list(user)
        .filter(Exists(Bookmark.objects.filter(customer=OuterRef("pk"), user_id=user.pk)))
        .annotate(bookmarked_at=Subquery(latest))
        .order_by("-bookmarked_at", "-pk")
    )


def customer_documents(customer: Customer) -> QuerySet[Document]:
    """The client's documents, newest first, with uploader and reviewer."""
    return customer.documents.select_related("uploaded_by", "reviewed_by").order_by("-created_at", "-pk")


def customer_comments(customer: Customer) -> QuerySet[Comment]:
    """The client's comments, newest first, with their author."""
    return customer.comments.select_related("author").order_by("-created_at", "-pk")


def customer_calls(customer: Customer) -> QuerySet[Call]:
    """The calls logged with the client, newest first, with their agent."""
    return customer.calls.select_related("agent").order_by("-created_at", "-pk")


def customer_history(customer: Customer) -> QuerySet[Activity]:
    """Every logged action on the client, newest first, with old and new values of changed fields."""
    return Activity.objects.for_target(customer).for_list().order_by("-created_at", "-pk")
