"""The admin home page: counts and charts for the staff member's own scope, in five aggregate queries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

SIGNUP_DAYS = 30
TOP_COUNTRIES = 10
PRIMARY = "var(--color-primary-600)"
KYC_COLOURS = {
    "not_started": "#94a3b8",
    "pending": "#f59e0b",
    "approved": "#22c55e",
    "rejected": "#ef4444",
    "revoked": "#b91c1c",
}


def environment_callback(request: HttpRequest) -> list[str]:
    if settings.DEBUG:
        return [_("Development"), "warning"]
    return (
        [_("Production"), "danger"]
        if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else [_("Demo"), "info"]
    )


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    """Add KPI cards and chart data to the index page; nothing for staff who may not see clients."""
    if not request.user.has_perm("customers.view_customer"):
        return context
    context.update(client_dashboard(request.user))
    return context


def client_dashboard(user) -> dict[str, Any]:
    from crm.customers.models import Customer, Document

    clients = Customer.objects.visible_to(user)
    since = timezone.now() - dt.timedelta(days=SIGNUP_DAYS - 1)
    first_day = timezone.localdate(since)
    totals = clients.aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(registered_at__gte=_start_of(first_day))),
        pending_kyc=Count("pk", filter=Q(kyc_status=Customer.KycStatus.PENDING)),
        with_ftd=Count("pk", filter=Q(first_deposit_at__isnull=False)),
        mine=Count("pk", filter=Q(conversion_agent=user) | Q(retention_agent=user)),
    )
    pending_documents = Document.objects.visible_to(user).filter(status=Document.Status.NEW).count()
    per_day = dict(
        clients.filter(registered_at__gte=_start_of(first_day))
        .annotate(day=TruncDate("registered_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    by_kyc = dict(clients.values_list("kyc_status").annotate(n=Count("pk")).order_by().values_list("kyc_status", "n"))
    by_country = list(
        clients.exclude(country="")
        .values_list("country")
        .annotate(n=Count("pk"))
        .order_by("-n", "country")
        .values_list("country", "n")[:TOP_COUNTRIES]
    )
    return {
        "kpis": _kpis(user, totals, pending_documents),
        "chart_signups": _signups_chart(first_day, per_day),
        "chart_kyc": _kyc_chart(by_kyc),
        "chart_countries": _countries_chart(by_country),
        "dashboard_scope": _("All clients") if user.has_perm("customers.view_all_customers") else _("Your clients"),
    }


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _changelist(query: str = "") -> str:
    url = reverse("admin:customers_customer_changelist")
    return f"{url}?{query}" if query else url


def _kpis(user, totals: dict[str, int], pending_documents: int) -> list[dict[str, Any]]:
    cards = [
        {"title": _("Clients"), "value": totals["total"], "link": _changelist()},
        {"title": _("New in %(days)d days") % {"days": SIGNUP_DAYS}, "value": totals["new"], "link": _changelist()},
        {
            "title": _("Waiting for KYC review"),
            "value": totals["pending_kyc"],
            "link": _changelist("kyc_status__exact=pending"),
        },
        {"title": _("With a first deposit"), "value": totals["with_ftd"], "link": _changelist("has_ftd=yes")},
    ]
    if user.has_perm("customers.view_document"):
        cards.append(
            {
                "title": _("KYC documents to review"),
                "value": pending_documents,
                "link": reverse("admin:customers_document_changelist") + "?status__exact=new",
            }
        )
    if not user.has_perm("customers.view_all_customers") or totals["mine"]:
        cards.append({"title": _("My clients"), "value": totals["mine"], "link": _changelist()})
    return cards


def _signups_chart(first_day: dt.date, per_day: dict) -> str:
    days = [first_day + dt.timedelta(days=offset) for offset in range(SIGNUP_DAYS)]
    # SQLite returns dates as text, PostgreSQL as dates.
    counts = {str(day): n for day, n in per_day.items()}
    return json.dumps(
        {
            "labels": [day.strftime("%d %b") for day in days],
            "datasets": [
                {
                    "label": _("Sign-ups"),
                    "data": [counts.get(str(day), 0) for day in days],
                    "backgroundColor": PRIMARY,
                    "borderColor": PRIMARY,
                }
            ],
        }
    )


def _kyc_chart(by_kyc: dict[str, int]) -> str:
    from crm.customers.models import Customer

    statuses = Customer.KycStatus
    return json.dumps(
        {
            "labels": [str(statuses(value).label) for value in statuses.values],
            "datasets": [
                {
                    "label": _("Clients"),
                    "data": [by_kyc.get(value, 0) for value in statuses.values],
                    "backgroundColor": [KYC_COLOURS[value] for value in statuses.values],
                }
            ],
        }
    )


def _countries_chart(by_country: list[tuple[str, int]]) -> str:
    from django_countries import countries

    return json.dumps(
        {
            "labels": [countries.name(code) or code for code, _n in by_country],
            "datasets": [{"label": _("Clients"), "data": [n for _code, n in by_country], "backgroundColor": PRIMARY}],
        }
    )
