"""The admin home page: KPI cards of the clients in the staff member's scope (one aggregate of the raw rows, one of
the rollups, one of the documents), then the period dashboard of their role (`crm.reports.selectors`) with charts
compared with the previous period."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.customers.models import Customer, Document
from crm.reports.charts import breakdown_chart, comparison_chart
from crm.reports.forms import PeriodForm
from crm.reports.models import ClientDay
from crm.reports.rollups import Coverage
from crm.reports.scope import scope_for
from crm.reports.selectors import Dashboard, build_dashboard, fetch_all, with_events
from crm.users.models import User

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


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """Add the KPI cards of the clients in scope and the period dashboard of the user's role to the index page."""
    user = request.user
    if not isinstance(user, User):
        return context
    coverage = Coverage.load()
    if user.has_perm("customers.view_customer"):
        context.update(client_dashboard(user, coverage))
    form = PeriodForm(request.GET or None)
    period = form.period()
    dashboard = build_dashboard(user, scope=scope_for(user), period=period, coverage=coverage)
    context.update(period_context(dashboard, form))
    return context


def client_dashboard(user: User, coverage: Coverage | None = None) -> dict[str, Any]:
    """The KPI cards: every client in scope, from the daily rollups `coverage` holds plus the raw rows of the
    other days (today, and days changed since the last refresh)."""
    split = (coverage or Coverage.load()).split(None, None)
    clients = Customer.objects.visible_to(user).order_by()
    mine = Q(conversion_agent_id=user.pk) | Q(retention_agent_id=user.pk)
    first_day = timezone.localdate(timezone.now() - dt.timedelta(days=SIGNUP_DAYS - 1))
    pending = Customer.KycStatus.PENDING
    registered, deposited = split.raw("registered_at"), split.raw("first_deposit_at")
    parts: list[QuerySet[Any]] = []
    if registered is not None and deposited is not None:
        new = registered & Q(registered_at__gte=_start_of(first_day))
        flags = {
            "total": registered,
            "new": new,
            "pending_kyc": registered & Q(kyc_status=pending),
            "with_ftd": deposited,
            "mine": registered & mine,
        }
        counted = {name: Case(When(condition, then=Value(1)), default=Value(0)) for name, condition in flags.items()}
        raw = clients.filter(registered | deposited).annotate(**counted, rolled=Value(0))
        parts.append(raw.values_list(*KPI_EVENT))
    if split.rolled is not None:
        rolled = ClientDay.objects.filter(split.rolled, scope_for(user).clients()).order_by()
        summed = F("registrations")
        only = {
            "new": Q(day__gte=first_day),
            "pending_kyc": Q(kyc_status=pending),
            "mine": mine,
        }
        counted = {name: Case(When(condition, then=summed), default=Value(0)) for name, condition in only.items()}
        rolled = rolled.annotate(total=summed, with_ftd=F("ftds"), **counted, rolled=Value(1))
        parts.append(rolled.values_list(*KPI_EVENT))
    totals = {"total": 0, "new": 0, "pending_kyc": 0, "with_ftd": 0, "mine": 0}
    by_kyc: dict[str, int] = {}
    by_country: dict[str, int] = {}
    if parts:  # one query: the cards' counts per KYC status and country, over the raw rows and the rollups
        sql, params = with_events(parts, KPI_EVENT)
        sums = ", ".join(f"SUM({name})" for name in KPI_EVENT[2:])
        sql += f"SELECT kyc_status, country, {sums} FROM events GROUP BY kyc_status, country"  # noqa: S608 (names)
        for kyc_status, country, *numbers in fetch_all(sql, params):
            *counts, rolled_rows = (int(n or 0) for n in numbers)
            row = dict(zip(totals, counts, strict=True))
            totals = {key: totals[key] + row[key] for key in totals}
            registrations = row["total"]
            if not registrations and not rolled_rows:
                continue  # raw rows of clients who only deposited on those days: in no chart
            by_kyc[kyc_status] = by_kyc.get(kyc_status, 0) + registrations
            if country:
                by_country[country] = by_country.get(country, 0) + registrations
    pending_documents = Document.objects.visible_to(user).filter(status=Document.Status.NEW).count()
    top_countries = sorted(by_country.items(), key=lambda item: (-item[1], item[0]))[:TOP_COUNTRIES]
    return {
        "kpis": _kpis(user, totals, pending_documents),
        "chart_kyc": _kyc_chart(by_kyc),
        "chart_countries": _countries_chart(top_countries),
        "dashboard_scope": _clients_in_scope(user),
    }


def _clients_in_scope(user: User) -> str:
    if user.has_perm("customers.view_all_customers"):
        return _("All clients")
    return _("Your desks' clients") if user.book.desk_ids else _("Your clients")


KPI_EVENT = ("kyc_status", "country", "total", "new", "pending_kyc", "with_ftd", "mine", "rolled")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _changelist(query: str = "") -> str:
    url = reverse("admin:customers_customer_changelist")
    return f"{url}?{query}" if query else url


def _kpis(user: User, totals: dict[str, int], pending_documents: int) -> list[dict[str, Any]]:
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


def _kyc_chart(by_kyc: dict[str, int]) -> str:
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


FIGURE_LABELS: dict[str, object] = {
    "registrations": gettext_lazy("Registrations"),
    "ftds": gettext_lazy("First deposits"),
}
LEAD_LABELS: dict[str, object] = {"leads": gettext_lazy("New leads"), "conversions": gettext_lazy("Conversions")}
BREAKDOWN_TITLES = {
    "country": gettext_lazy("By country"),
    "source": gettext_lazy("By source"),
    "agent": gettext_lazy("By conversion agent"),
    "affiliate": gettext_lazy("By introducer (affiliate)"),
    "desk": gettext_lazy("Leads by desk"),
    "lead_agent": gettext_lazy("Leads by agent"),
}
SERIES_TITLES = {
    "registrations": gettext_lazy("Registrations per day"),
    "ftds": gettext_lazy("First deposits per day"),
    "leads": gettext_lazy("New leads per day"),
    "deposits": gettext_lazy("Completed deposits per day (count, all currencies)"),
    "trades": gettext_lazy("Executions per day (live accounts)"),
}


def period_context(dashboard: Dashboard, form: PeriodForm) -> dict[str, Any]:
    """Template context of the period dashboard: figures, money tables and Chart.js data."""
    breakdowns = []
    for key, rows in dashboard.breakdowns.items():
        if not rows:
            continue
        labels = LEAD_LABELS if key in ("desk", "lead_agent") else FIGURE_LABELS
        breakdowns.append(
            {
                "key": key,
                "title": BREAKDOWN_TITLES[key],
                "rows": rows,
                "labels": labels,
                "chart": breakdown_chart(rows, labels=labels),
            }
        )
    return {
        "period_form": form,
        "period": dashboard.period,
        "previous_period": dashboard.previous,
        "period_scope": dashboard.scope.label,
        "period_figures": dashboard.figures,
        "period_money": dashboard.money,
        "period_pending": {key: sorted(values.items()) for key, values in dashboard.pending.items()},
        "period_commissions": {key: sorted(values.items()) for key, values in dashboard.commissions.items()},
        "period_trading": dashboard.trading,
        "period_charts": [
            {"key": key, "title": SERIES_TITLES[key], "chart": comparison_chart(series, label=SERIES_TITLES[key])}
            for key, series in dashboard.series.items()
        ],
        "period_breakdowns": breakdowns,
    }
