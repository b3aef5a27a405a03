"""The communication timeline of a client or a lead (000 "Get customer communications"): comments, calls,
messages, pushes, text messages and emails, newest first, in a fixed number of queries.

Each channel is a *source*: a function `(subject, count) -> (newest `count` entries, total)` registered with
`register_source`. A page of the timeline asks every source for `offset + limit` entries, merges them and cuts
the page: two queries per source whatever the history. A new channel plugs in with one call, as the outbound
email log does below:

    timeline.register_source("email", customer=_customer_emails)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.communications.models import EmailMessage, EmailTemplate, Message, PushNotification, TextMessage
from crm.customers.models import Call, Comment, Customer
from crm.sales.models import Lead, LeadComment, LeadCommunication

MAX_WINDOW = 1000  # offset + limit; further back, the per-channel lists answer


@dataclass(frozen=True)
class TimelineEntry:
    """One thing on the timeline."""

    at: dt.datetime
    channel: str  # comment, call, message, push, sms, email
    direction: str  # out (to the client), in (from the client), note (staff only)
    status: str
    subject: str
    text: str
    by: str
    ref: str  # "<model>:<pk>", stable for a client to link to


Subject = TypeVar("Subject", Customer, Lead)
Source = Callable[[Any, int], tuple[list[TimelineEntry], int]]
_customer_sources: dict[str, Source] = {}
_lead_sources: dict[str, Source] = {}


def register_source(channel: str, *, customer: Source | None = None, lead: Source | None = None) -> None:
    """Add (or replace) the timeline source of a channel for clients and/or leads."""
    if customer is not None:
        _customer_sources[channel] = customer
    if lead is not None:
        _lead_sources[channel] = lead


def customer_channels() -> list[str]:
    return sorted(_customer_sources)


def lead_channels() -> list[str]:
    return sorted(_lead_sources)


def rows(queryset: QuerySet[Any], count: int) -> tuple[list[Any], int]:
    """The newest `count` rows of a source's queryset and its total: two queries."""
    total = queryset.count()
    if not total or count <= 0:
        return [], total
    return list(queryset.order_by("-created_at", "-pk")[:count]), total


class Timeline(Generic[Subject]):
    """The merged timeline of one client or lead; sliceable and countable, so DRF's pagination pages it."""

    def __init__(self, subject: Subject, sources: dict[str, Source], channels: list[str] | None = None) -> None:
        self.subject: Subject = subject
        self.sources = {name: source for name, source in sources.items() if channels is None or name in channels}
        self._total: int | None = None

    def _collect(self, count: int) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        total = 0
        for source in self.sources.values():
            found, found_total = source(self.subject, count)
            entries.extend(found)
            total += found_total
        self._total = total
        entries.sort(key=lambda entry: (entry.at, entry.ref), reverse=True)
        return entries

    def count(self) -> int:
        if self._total is None:
            self._collect(0)
        return self._total or 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[TimelineEntry]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop > MAX_WINDOW:
            stop = MAX_WINDOW
        return self._collect(stop)[start:stop]


def customer_timeline(customer: Customer, *, channels: list[str] | None = None) -> Timeline[Customer]:
    return Timeline(customer, _customer_sources, channels)


def lead_timeline(lead: Lead, *, channels: list[str] | None = None) -> Timeline[Lead]:
    return Timeline(lead, _lead_sources, channels)


# Built-in sources --------------------------------------------------------------------------------------


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def _customer_comments(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(Comment.objects.filter(customer=customer).select_related("author"), count)
    return [
        TimelineEntry(c.created_at, "comment", "note", "", "", c.body, _person(c.author), f"comment:{c.pk}")
        for c in found
    ], total


def _customer_calls(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(Call.objects.filter(customer=customer).select_related("agent"), count)
    return [
        TimelineEntry(
            c.created_at,
            "call",
            "out",
            c.outcome,
            str(c.get_outcome_display()),
            c.note,
            _person(c.agent),
            f"call:{c.pk}",
        )
        for c in found
    ], total


def _customer_messages(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(Message.objects.filter(customer=customer).select_related("sender"), count)
    return [
        TimelineEntry(
            m.created_at,
            "message",
            "out",
            "read" if m.read_at else "unread",
            m.subject,
            m.text,
            _person(m.sender),
            f"message:{m.pk}",
        )
        for m in found
    ], total


def _customer_pushes(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(PushNotification.objects.filter(customer=customer).select_related("sender"), count)
    entries = []
    for push in found:
        payload = push.payload if isinstance(push.payload, dict) else {}
        entries.append(
            TimelineEntry(
                push.created_at,
                "push",
                "out",
                push.status,
                str(payload.get("title", "")),
                str(payload.get("body", "")),
                _person(push.sender),
                f"push:{push.pk}",
            )
        )
    return entries, total


def _customer_texts(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(TextMessage.objects.filter(customer=customer).select_related("sender"), count)
    return [
        TimelineEntry(t.created_at, "sms", "out", t.status, "", t.text, _person(t.sender), f"sms:{t.pk}")
        for t in found
    ], total


def _customer_emails(customer: Customer, count: int) -> tuple[list[TimelineEntry], int]:
    """The emails the client was sent (not test emails, not staff alerts about the client)."""
    queryset = EmailMessage.objects.filter(customer=customer, is_test=False).exclude(
        template__recipient=EmailTemplate.Recipient.STAFF
    )
    found, total = rows(queryset, count)
    return [
        TimelineEntry(e.created_at, "email", "out", e.status, e.subject, e.text, "", f"email:{e.pk}") for e in found
    ], total


def _lead_comments(lead: Lead, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(LeadComment.objects.filter(lead=lead).select_related("author"), count)
    return [
        TimelineEntry(c.created_at, "comment", "note", "", "", c.body, _person(c.author), f"lead-comment:{c.pk}")
        for c in found
    ], total


def _lead_communications(lead: Lead, count: int) -> tuple[list[TimelineEntry], int]:
    found, total = rows(LeadCommunication.objects.filter(lead=lead).select_related("staff"), count)
    return [
        TimelineEntry(
            c.created_at,
            c.channel,
            "out",
            c.status,
            c.subject,
            c.body,
            _person(c.staff),
            f"lead-communication:{c.pk}",
        )
        for c in found
    ], total


register_source("comment", customer=_customer_comments, lead=_lead_comments)
register_source("call", customer=_customer_calls)
register_source("message", customer=_customer_messages)
register_source("push", customer=_customer_pushes)
register_source("sms", customer=_customer_texts)
register_source("email", customer=_customer_emails)
# The lead's emails, calls and text messages staff sent (crm.sales) share one log, so one source.
register_source("lead_communication", lead=_lead_communications)


def label(channel: str) -> str:
    """The channel's name for people."""
    names = {
        "comment": _("Comment"),
        "call": _("Call"),
        "message": _("Message"),
        "push": _("Push"),
        "sms": _("Text message"),
        "email": _("Email"),
    }
    return str(names.get(channel, channel))
