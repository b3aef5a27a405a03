"""Reads on leads beyond a QuerySet method: timelines, reminder lists, sources, sales people, the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Count, F, Q, QuerySet

from crm.sales.models import Lead, LeadComment, LeadCommunication
from crm.users.models import User


def lead_comments(lead: Lead) -> QuerySet[LeadComment]:
    """The lead's comments, newest first, with their author."""
    return lead.comments.select_related("author").order_by("-created_at", "-pk")


def lead_communications(lead: Lead) -> QuerySet[LeadCommunication]:
    """Emails and calls with the lead, newest first."""
    return lead.communications.select_related("staff").order_by("-created_at", "-pk")


def due_follow_ups(user: User, *, until: dt.datetime) -> QuerySet[Lead]:
    """The user's own leads whose follow-up time has come by `until`, oldest first."""
    return Lead.objects.active().filter(sales_person=user).for_list().due_follow_ups(until=until)


def lead_sources(user: User) -> list[str]:
    """Distinct non-empty sources of the leads `user` may see, sorted."""
    return list(
        Lead.objects.visible_to(user).exclude(source="").order_by("source").values_list("source", flat=True).distinct()
    )


def sales_people() -> QuerySet[User]:
    """Active staff holding the right to claim leads (through a role or directly), or superusers."""
    permission = Permission.objects.filter(content_type__app_label="sales", codename="claim_lead")
    return (
        User.objects.active_staff()
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def agent_dashboard(user: User, *, now: dt.datetime, limit: int = 20) -> dict[str, Any]:
    """The agent's own leads counted by sales status, and the follow-ups due today, in three queries."""
    mine = Lead.objects.active().filter(sales_person=user)
    by_status = list(
        mine.values("sales_status_id", "sales_status__name", "sales_status__color")
        .annotate(count=Count("pk"))
        .order_by(F("sales_status__sort_order").asc(nulls_last=True), F("sales_status__name").asc(nulls_last=True))
    )
    end_of_day = now.replace(hour=23, minute=59, second=59)
    due = list(due_follow_ups(user, until=end_of_day)[:limit])
    overdue = mine.filter(follow_up_at__lt=now).count()
    return {"by_status": by_status, "due": due, "overdue": overdue, "total": sum(row["count"] for row in by_status)}
