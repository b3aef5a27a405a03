"""The figures of the period dashboard, in a fixed number of queries: mostly one per section.

A section (clients, leads, money, trading) reads its rows once: the ORM writes the SQL of its "events" (the rows of
the period and of the previous period of the same length, by a range on an indexed date column, in scope, with the
columns and 0/1 flags the figures need), and a short grouping written here sums them per day, per breakdown and per
currency in the same statement (`with_events`, `fetch_all`): one compiled query and one round trip where the ORM
would need one per figure. Days are the broker's (`TIME_ZONE`). Client and money events come in two parts: the
daily rollups (`crm.reports.rollups`) for the closed days they hold, and the raw rows of the other days (today,
days not refreshed or touched since), so the figures are always the raw rows' figures. Every figure carries the
sentence saying what it counts; the admin page and the API show it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.affiliates.models import Affiliate, CommissionLedger, PayoutRequest
from crm.communications.models import Message
from crm.customers.models import Customer
from crm.reports.models import ClientDay, MoneyDay
from crm.reports.periods import Period
from crm.reports.rollups import DEPOSIT_DONE, WITHDRAWAL_DONE, Coverage, Split
from crm.reports.scope import Scope
from crm.sales.models import Lead
from crm.trading.models import Deal
from crm.users.models import LoginRecord, User
from crm.wallets.models import Transaction

ZERO = Decimal("0")
MONEY_FIELD = DecimalField(max_digits=28, decimal_places=8)
TOP_ROWS = 10
DEPOSIT = Transaction.Type.DEPOSIT
WITHDRAWAL = Transaction.Type.WITHDRAWAL


@dataclass(frozen=True)
class Figure:
    """One number of the period beside the same number of the previous period."""

    key: str
    label: str
    current: int
    previous: int
    description: str

    @property
    def change(self) -> int | None:
        """Percent change from the previous period; None when the previous period had none."""
        if not self.previous:
            return None
        return round((self.current - self.previous) * 100 / self.previous)


@dataclass(frozen=True)
class MoneyRow:
    """Deposits, withdrawals and net deposits of one currency, in the period and the previous one."""

    currency: str
    deposits: Decimal
    withdrawals: Decimal
    previous_deposits: Decimal
    previous_withdrawals: Decimal

    @property
    def net_deposits(self) -> Decimal:
        return self.deposits - self.withdrawals

    @property
    def previous_net_deposits(self) -> Decimal:
        return self.previous_deposits - self.previous_withdrawals


@dataclass(frozen=True)
class TradingRow:
    """Executions, volume, clients' realised profit and commissions of one account currency, both periods."""

    currency: str
    trades: int
    previous_trades: int
    volume: Decimal
    previous_volume: Decimal
    profit: Decimal
    previous_profit: Decimal
    commission: Decimal
    previous_commission: Decimal


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    counts: dict[str, int]


@dataclass
class Dashboard:
    """Everything the period dashboard shows for one staff member; sections they may not see stay empty."""

    period: Period
    previous: Period
    scope: Scope
    figures: list[Figure] = field(default_factory=list)
    money: list[MoneyRow] = field(default_factory=list)
    pending: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    commissions: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    trading: list[TradingRow] = field(default_factory=list)
    series: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)


def _in(period: Period, column: str) -> Q:
    return Q(**{f"{column}__gte": period.start, f"{column}__lt": period.end})


def _span(period: Period, previous: Period, column: str) -> Q:
    return Q(**{f"{column}__gte": previous.start, f"{column}__lt": period.end})


def _both(period: Period, previous: Period, column: str) -> dict[str, Any]:
    return {"current": Count("pk", filter=_in(period, column)), "previous": Count("pk", filter=_in(previous, column))}


def build_dashboard(
    user: User,
    *,
    scope: Scope,
    period: Period,
    now: dt.datetime | None = None,
    coverage: Coverage | None = None,
) -> Dashboard:
    """The dashboard sections `user` may see, counted in `scope` for `period` and the period before it (clients
    and money from the daily rollups `coverage` holds plus the raw rows of the other days)."""
    dashboard = Dashboard(period=period, previous=period.previous(), scope=scope)
    coverage = coverage or Coverage.load()
    if user.has_perm("customers.view_customer"):
        add_client_figures(dashboard, coverage)
    if user.has_perm("sales.view_lead"):
        add_lead_figures(dashboard, now=now or timezone.now())
    if user.has_perm("wallets.view_transaction"):
        add_money_figures(dashboard, coverage)
    if user.has_perm("affiliates.view_commissionledger"):
        add_affiliate_figures(dashboard, user)
    if user.has_perm("trading.view_deal"):
        add_trading_figures(dashboard)
    if user.has_perm("communications.view_message"):
        add_message_figures(dashboard)
    return dashboard


def _total(*parts: dict[str, Any]) -> dict[str, Any]:
    """The key-wise sum of aggregates (a missing or None part counts 0)."""
    total: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if value is not None:
                total[key] = total.get(key, 0) + value
    return total


# Clients -------------------------------------------------------------------------------


def add_client_figures(dashboard: Dashboard, coverage: Coverage) -> None:
    """Registrations, first deposits and portal log-ins; per day; by country, source, agent and affiliate."""
    period, previous, scope = dashboard.period, dashboard.previous, dashboard.scope
    split = coverage.split(previous.first, period.last)
    days, counts = _client_counts(dashboard, split)
    series = {
        "registrations": _lined_up(days["registrations"], dashboard),
        "ftds": _lined_up(days["ftds"], dashboard),
    }
    dashboard.series.update(series)
    logins = (
        LoginRecord.objects.filter(
            _span(period, previous, "created_at"), scope.clients("user__customer__"), result="success"
        )
        .exclude(reason=LoginRecord.Reason.IMPERSONATION)
        .order_by()
        .aggregate(**_both(period, previous, "created_at"))
    )
    dashboard.figures += [
        Figure(
            "registrations",
            _("Registrations"),
            sum(series["registrations"]["current"]),
            sum(series["registrations"]["previous"]),
            _("Clients registered in the period (any source), by their registration time."),
        ),
        Figure(
            "ftds",
            _("First deposits (FTD)"),
            sum(series["ftds"]["current"]),
            sum(series["ftds"]["previous"]),
            _("Clients whose first deposit completed in the period, whenever they registered."),
        ),
        Figure(
            "logins",
            _("Portal log-ins"),
            logins["current"],
            logins["previous"],
            _("Successful portal log-ins of clients in the period; staff impersonation is not counted."),
        ),
    ]
    dashboard.breakdowns["country"] = _top(counts["country"])
    dashboard.breakdowns["source"] = _top(counts["source"])
    agents = _top(counts["agent"])
    dashboard.breakdowns["agent"] = _labelled(agents, User.objects.all(), ("first_name", "email"))
    affiliates = _top(counts["affiliate"])
    dashboard.breakdowns["affiliate"] = _labelled(affiliates, Customer.objects.all(), ("first_name", "last_name"))


CLIENT_MEASURES = ("registrations", "ftds")
CLIENT_EVENT = ("day", "conversion_agent_id", "introducer_id", "country", "source", *CLIENT_MEASURES)
# The breakdowns of new clients: their key, the event's column and its SQL type (for the UNION's NULLs).
CLIENT_BREAKDOWNS = (
    ("country", "country", "text"),
    ("source", "source", "text"),
    ("agent", "conversion_agent_id", "integer"),
    ("affiliate", "introducer_id", "integer"),
)


def _client_counts(
    dashboard: Dashboard, split: Split
) -> tuple[dict[str, dict[str, int]], dict[str, dict[Any, dict[str, int]]]]:
    """Registrations and first deposits per broker day of the period and the previous one, and per country, source,
    conversion agent and introducer in the period, in one query over the clients' events: one per client registered
    or first deposited on a day read raw, and the rollup rows of the other days (the same columns).

    The events are the ORM's SQL (scope, days); the grouping around them is written here: one UNION ALL of a
    GROUP BY per breakdown over the events, where the ORM would compile and run a query per breakdown and part."""
    period, scope = dashboard.period, dashboard.scope
    days: dict[str, dict[str, int]] = {measure: {} for measure in CLIENT_MEASURES}
    counts: dict[str, dict[Any, dict[str, int]]] = {key: {} for key, _column, _type in CLIENT_BREAKDOWNS}
    parts: list[QuerySet[Any]] = []
    zone = timezone.get_default_timezone()
    for column, measure in (("registered_at", "registrations"), ("first_deposit_at", "ftds")):
        raw_span = _raw_span(dashboard, column, split)
        if raw_span is not None:
            ones = {name: Value(int(name == measure)) for name in CLIENT_MEASURES}
            events = Customer.objects.filter(scope.clients(), raw_span).order_by()
            parts.append(events.annotate(day=TruncDate(column, tzinfo=zone), **ones).values_list(*CLIENT_EVENT))
    if split.rolled is not None:
        parts.append(ClientDay.objects.filter(scope.clients(), split.rolled).order_by().values_list(*CLIENT_EVENT))
    if not parts:
        return days, counts
    sql, params = with_events(parts, CLIENT_EVENT)
    sums = ", ".join(f"SUM({measure})" for measure in CLIENT_MEASURES)
    per_day = f"SELECT 'day', day, CAST(NULL AS text), CAST(NULL AS integer), {sums} FROM events GROUP BY day"  # noqa: S608
    groupings = [per_day]
    for key, column, sql_type in CLIENT_BREAKDOWNS:
        text_key = column if sql_type == "text" else "CAST(NULL AS text)"
        int_key = column if sql_type == "integer" else "CAST(NULL AS integer)"
        not_null = f" AND {column} IS NOT NULL" if key == "affiliate" else ""
        groupings.append(
            f"SELECT '{key}', CAST(NULL AS date), {text_key}, {int_key}, {sums} FROM events "  # noqa: S608 (constants)
            f"WHERE day >= %s{not_null} GROUP BY {column}"
        )
        params.append(period.first)
    for kind, day, text_key, int_key, *measures in fetch_all(sql + " UNION ALL ".join(groupings), params):
        if kind == "day":
            for measure, n in zip(CLIENT_MEASURES, measures, strict=True):
                if n:
                    days[measure][str(day)] = int(n)  # SQLite answers dates as text, PostgreSQL as dates
        else:
            key = text_key if int_key is None else int_key
            counts[kind][key] = {measure: int(n or 0) for measure, n in zip(CLIENT_MEASURES, measures, strict=True)}
    return days, counts


def with_events(parts: list[QuerySet[Any]], columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """`WITH events AS (...) `: the rows of the `parts` (each the ORM's query of `columns`) one after the other, to
    be grouped by the SQL that follows, and its parameters."""
    selects: list[str] = []
    params: list[Any] = []
    names = ", ".join(columns)
    for index, part in enumerate(parts):
        sql, part_params = part.query.sql_with_params()
        selects.append(f"SELECT {names} FROM ({sql}) AS part{index}")  # noqa: S608 (the ORM's SQL, column names)
        params.extend(part_params)
    return "WITH events AS (" + " UNION ALL ".join(selects) + ") ", params


def fetch_all(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _top(counts: dict[Any, dict[str, int]]) -> list[BreakdownRow]:
    """The `TOP_ROWS` values with the most of the first count (ties: by value, as PostgreSQL and SQLite order them in
    the C collation), labelled by the value itself."""
    names = list(CLIENT_MEASURES)
    ranked = sorted(counts.items(), key=lambda item: _rank(item[0], item[1].get(names[0], 0)))
    return [
        BreakdownRow(
            key="" if key is None else str(key),
            label=str(key) if key else _("(none)"),
            counts={name: values.get(name, 0) for name in names},
        )
        for key, values in ranked[:TOP_ROWS]
    ]


def _raw_span(dashboard: Dashboard, column: str, split: Split) -> Q | None:
    """Raw rows whose `column` falls in the period or the previous one on a day read raw; None when there is none."""
    raw = split.raw(column)
    return None if raw is None else _span(dashboard.period, dashboard.previous, column) & raw


def _rank(key: Any, count: int) -> tuple[int, bool, Any]:
    """Most first, then by value with no value last (PostgreSQL's `ORDER BY count DESC, value`)."""
    return (-count, key is None, 0 if key is None else key)


def _labelled(rows: list[BreakdownRow], queryset: QuerySet[Any], names: tuple[str, ...]) -> list[BreakdownRow]:
    """`rows` keyed by ids of `queryset`, labelled by the `names` of each (one query)."""
    found = {
        str(values[0]): " ".join(str(value) for value in values[1:] if value)
        for values in queryset.filter(pk__in=[row.key for row in rows if row.key]).values_list("pk", *names)
    }
    return [BreakdownRow(key=row.key, label=found.get(row.key) or row.label, counts=row.counts) for row in rows]


def add_message_figures(dashboard: Dashboard) -> None:
    """Portal messages sent to the clients in scope and read by them, in one aggregate over the inbox rows.

    There is no coins figure: the product keeps no coin ledger (coins earned); only the money of a coins exchange
    is a ledger movement (transaction type COINS_EXCHANGE), counted with the other movements."""
    period, previous, scope = dashboard.period, dashboard.previous, dashboard.scope
    counts = (
        Message.objects.filter(
            _span(period, previous, "created_at") | _span(period, previous, "read_at"), scope.clients("customer__")
        )
        .order_by()
        .aggregate(
            sent=Count("pk", filter=_in(period, "created_at")),
            previous_sent=Count("pk", filter=_in(previous, "created_at")),
            read=Count("pk", filter=_in(period, "read_at")),
            previous_read=Count("pk", filter=_in(previous, "read_at")),
        )
    )
    dashboard.figures += [
        Figure(
            "messages_sent",
            _("Messages sent"),
            counts["sent"],
            counts["previous_sent"],
            _("Portal messages put in clients' inboxes in the period, one per client (a message to many: each)."),
        ),
        Figure(
            "messages_read",
            _("Messages read"),
            counts["read"],
            counts["previous_read"],
            _("Portal messages clients first opened in the period, whenever they were sent."),
        ),
    ]


def _lined_up(counts: dict[str, int], dashboard: Dashboard) -> dict[str, list[Any]]:
    days, previous_days = _iso_days(dashboard.period), _iso_days(dashboard.previous)
    return {
        "days": list(days),
        "current": [counts.get(day, 0) for day in days],
        "previous": [counts.get(day, 0) for day in previous_days],
    }


@lru_cache(maxsize=16)
def _iso_days(period: Period) -> tuple[str, ...]:
    """The days of `period` as ISO text (the keys of `_counts_per_day`), worked out once per period."""
    return tuple(day.isoformat() for day in period.dates())


# Leads ---------------------------------------------------------------------------------


def add_lead_figures(dashboard: Dashboard, *, now: dt.datetime) -> None:
    """New leads, conversions and follow-ups due; leads and conversions per day, by desk and by agent."""
    period, previous, scope = dashboard.period, dashboard.previous, dashboard.scope
    due = Q(follow_up_at__isnull=False, follow_up_at__lte=now, customer__isnull=True)
    events = (
        Lead.objects.active()
        .filter(scope.leads())
        .filter(_span(period, previous, "created_at") | _span(period, previous, "converted_at") | due)
        .order_by()
        .annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            desk_name=F("desk__name"),
            agent_first_name=F("sales_person__first_name"),
            agent_email=F("sales_person__email"),
            leads=_flag(_in(period, "created_at")),
            previous_leads=_flag(_in(previous, "created_at")),
            conversions=_flag(_in(period, "converted_at")),
            previous_conversions=_flag(_in(previous, "converted_at")),
            due=_flag(due),
        )
        .values_list(*LEAD_EVENT)
    )
    sql, params = with_events([events], LEAD_EVENT)
    sql += " UNION ALL ".join(LEAD_GROUPINGS)
    counts: dict[str, int] = {}
    per_day: dict[str, int] = {}
    breakdowns: dict[str, list[BreakdownRow]] = {"desk": [], "lead_agent": []}
    for kind, day, key, first_name, second_name, *numbers in fetch_all(sql, params):
        if kind == "total":
            counts = dict(zip(LEAD_EVENT[-5:], (int(n or 0) for n in numbers), strict=True))
        elif kind == "day":
            if numbers[0]:
                per_day[str(day)] = int(numbers[0])  # SQLite answers dates as text, PostgreSQL as dates
        else:
            label = " ".join(str(name) for name in (first_name, second_name) if name)
            breakdowns[kind].append(
                BreakdownRow(
                    key="" if key is None else str(key),
                    label=label or (str(key) if key else _("(none)")),
                    counts={"leads": int(numbers[0]), "conversions": int(numbers[1])},
                )
            )
    due_now = counts["due"]
    dashboard.figures += [
        Figure(
            "leads",
            _("New leads"),
            counts["leads"],
            counts["previous_leads"],
            _("Leads created in the period (imports, partners, staff), merged duplicates not counted."),
        ),
        Figure(
            "conversions",
            _("Conversions"),
            counts["conversions"],
            counts["previous_conversions"],
            _("Leads converted to clients in the period, whenever the lead came in."),
        ),
        Figure(
            "follow_ups_due",
            _("Follow-ups due"),
            due_now,
            due_now,
            _("Leads not converted yet whose follow-up time has come (now, not per period)."),
        ),
    ]
    dashboard.series["leads"] = _lined_up(per_day, dashboard)
    dashboard.breakdowns.update(breakdowns)


def _flag(condition: Q) -> Case:
    """1 for a row meeting `condition`, else 0 (summed by the SQL around the events)."""
    return Case(When(condition, then=Value(1)), default=Value(0))


LEAD_EVENT = (
    "day",
    "desk_id",
    "desk_name",
    "sales_person_id",
    "agent_first_name",
    "agent_email",
    "leads",
    "previous_leads",
    "conversions",
    "previous_conversions",
    "due",
)
# The lead figures, their days, and the TOP_ROWS desks and agents with the most new leads of the period (ties: by
# id), labelled by name, over the lead events (`add_lead_figures`).
_LEAD_TOP = (
    "SELECT * FROM (SELECT '{kind}', CAST(NULL AS date), {key}, {names}, "  # noqa: S608 (names and constants)
    "SUM(leads) AS n, SUM(conversions), 0, 0, 0 FROM events WHERE leads = 1 OR conversions = 1 "
    f"GROUP BY {{key}}, {{names}} ORDER BY n DESC, {{key}} LIMIT {TOP_ROWS}) AS {{kind}}"
)
LEAD_GROUPINGS = (
    "SELECT 'total', CAST(NULL AS date), CAST(NULL AS integer), CAST(NULL AS text), CAST(NULL AS text), "
    "SUM(leads), SUM(previous_leads), SUM(conversions), SUM(previous_conversions), SUM(due) FROM events",
    "SELECT 'day', day, NULL, NULL, NULL, SUM(leads) + SUM(previous_leads), 0, 0, 0, 0 FROM events GROUP BY day",
    _LEAD_TOP.format(kind="desk", key="desk_id", names="desk_name, CAST(NULL AS text)"),
    _LEAD_TOP.format(kind="lead_agent", key="sales_person_id", names="agent_first_name, agent_email"),
)


# Money ---------------------------------------------------------------------------------


def add_money_figures(dashboard: Dashboard, coverage: Coverage) -> None:
    """Deposits, withdrawals and net deposits per currency; pending withdrawals; deposits per day."""
    period, previous, scope = dashboard.period, dashboard.previous, dashboard.scope
    split = coverage.split(previous.first, period.last)
    is_deposit = Q(type=DEPOSIT, status__in=DEPOSIT_DONE)
    is_withdrawal = Q(type=WITHDRAWAL, status__in=WITHDRAWAL_DONE)
    is_waiting = Q(type=WITHDRAWAL, status=Transaction.Status.PENDING)
    everything = coverage.split(None, None)  # withdrawals waiting now were asked for on any day
    parts: list[QuerySet[Any]] = []
    raw_span, raw_waiting = _raw_span(dashboard, "created_at", split), everything.raw("created_at")
    if raw_span is not None or raw_waiting is not None:
        amount = F("amount")
        counted = {
            "day": TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            "deposits": Case(When(is_deposit, then=amount), default=Value(ZERO), output_field=MONEY_FIELD),
            "withdrawals": Case(When(is_withdrawal, then=amount), default=Value(ZERO), output_field=MONEY_FIELD),
            "deposit_count": Case(When(is_deposit, then=Value(1)), default=Value(0)),
            "pending_withdrawals": Case(When(is_waiting, then=amount), default=Value(ZERO), output_field=MONEY_FIELD),
            "moved": Case(When(is_deposit | is_withdrawal, then=Value(1)), default=Value(0)),
            "waiting": Case(When(is_waiting, then=Value(1)), default=Value(0)),
        }
        raw = Q()
        if raw_span is not None:
            raw |= raw_span & (is_deposit | is_withdrawal)
        if raw_waiting is not None:
            raw |= raw_waiting & is_waiting
        movements = Transaction.objects.filter(raw, scope.clients("customer__")).order_by()
        parts.append(movements.annotate(**counted).values_list(*MONEY_EVENT))
    if everything.rolled is not None:
        flags = {
            # A currency with waiting withdrawals only has no row in the money table.
            "moved": Case(When(Q(deposit_count__gt=0) | Q(withdrawals__gt=0), then=Value(1)), default=Value(0)),
            "waiting": Case(When(pending_withdrawals__gt=0, then=Value(1)), default=Value(0)),
        }
        in_span = split.rolled if split.rolled is not None else Q(pk__in=[])
        rolled = MoneyDay.objects.filter(scope.clients(), everything.rolled).filter(
            in_span | Q(pending_withdrawals__gt=0)
        )
        parts.append(rolled.order_by().annotate(**flags).values_list(*MONEY_EVENT))
    money: dict[str, list[Decimal]] = {}
    waiting: dict[str, Decimal] = {}
    per_day: dict[str, int] = {}
    if parts:
        sql, params = with_events(parts, MONEY_EVENT)
        days = "day >= %s AND day <= %s"
        sums = [
            f"SUM(CASE WHEN {days} THEN {column} ELSE 0 END)"
            for column in ("deposits", "withdrawals", "deposits", "withdrawals", "moved")
        ]
        sums += ["SUM(pending_withdrawals)", "SUM(waiting)"]
        sql += (
            f"SELECT 'currency', CAST(NULL AS date), currency_id, {', '.join(sums)} "  # noqa: S608 (no values)
            "FROM events GROUP BY currency_id UNION ALL "
            "SELECT 'day', day, CAST(NULL AS text), SUM(deposit_count), 0, 0, 0, 0, 0, 0 "
            f"FROM events WHERE {days} GROUP BY day"
        )
        span = [previous.first, period.last]  # rows moved in either period; the days of the series
        params += [period.first, period.last] * 2 + [previous.first, previous.last] * 2 + span + span
        for kind, day, currency, *values in fetch_all(sql, params):
            if kind == "day":
                if values[0]:
                    per_day[str(day)] = int(values[0])  # SQLite answers dates as text, PostgreSQL as dates
                continue
            *amounts, moved, pending, waiting_rows = values
            if moved:
                money[currency] = [_decimal(value) for value in amounts]
            if waiting_rows:
                waiting[currency] = _decimal(pending)
    dashboard.money = [MoneyRow(currency, *money[currency]) for currency in sorted(money)]
    dashboard.pending["withdrawals"] = dict(sorted(waiting.items()))
    dashboard.series["deposits"] = _lined_up(per_day, dashboard)


MONEY_EVENT = (
    "day",
    "currency_id",
    "deposits",
    "withdrawals",
    "deposit_count",
    "pending_withdrawals",
    "moved",
    "waiting",
)
SQLITE_DECIMAL = Context(prec=15)  # as Django reads a sum of decimals on SQLite (a float)
MONEY_PLACES = Decimal(1).scaleb(-8)


def _decimal(value: Any) -> Decimal:
    """An amount summed in SQL: a Decimal on PostgreSQL; a float on SQLite, read as Django reads it there."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return SQLITE_DECIMAL.create_decimal_from_float(value).quantize(MONEY_PLACES)
    return Decimal(value or 0)


# Affiliates ----------------------------------------------------------------------------


def add_affiliate_figures(dashboard: Dashboard, user: User) -> None:
    """Commissions of the period by status and pending payout requests, per currency, of the affiliates in view."""
    affiliates = Affiliate.objects.visible_to(user).values("pk")
    amount = Coalesce("corrected_commission_amount", "commission_amount")
    rows = (
        CommissionLedger.objects.filter(_in(dashboard.period, "action_timestamp"), introducer__in=affiliates)
        .values("currency_id", "status")
        .annotate(total=Sum(amount, output_field=MONEY_FIELD))
        .order_by("currency_id", "status")
    )
    commissions: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        commissions.setdefault(row["status"], {})[row["currency_id"]] = row["total"]
    dashboard.commissions = commissions
    payouts = (
        PayoutRequest.objects.filter(status=PayoutRequest.Status.PENDING, introducer__in=affiliates)
        .values("currency_id")
        .annotate(total=Sum("amount"))
        .order_by("currency_id")
    )
    dashboard.pending["payout_requests"] = {row["currency_id"]: row["total"] for row in payouts}


# Trading -------------------------------------------------------------------------------


def add_trading_figures(dashboard: Dashboard) -> None:
    """Executions and traders; per account currency volume, realised profit and commissions; executions per day."""
    period, previous, scope = dashboard.period, dashboard.previous, dashboard.scope
    events = (
        Deal.objects.filter(
            scope.clients("account__customer__"), _span(period, previous, "created_at"), account__is_demo=False
        )
        .order_by()
        .annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            currency_id=F("account__currency_id"),
            current=_flag(_in(period, "created_at")),
        )
        .values_list(*DEAL_EVENT)
    )
    sql, params = with_events([events], DEAL_EVENT)
    sql += DEAL_GROUPINGS
    traders, previous_traders = 0, 0
    per_day: dict[str, int] = {}
    dashboard.trading = []
    for kind, day, currency, trades, previous_trades, accounts, previous_accounts, *amounts in fetch_all(sql, params):
        if kind == "day":
            per_day[str(day)] = int(trades)  # SQLite answers dates as text, PostgreSQL as dates
            continue
        # An account has one currency: the accounts of the currencies add up to the accounts.
        traders, previous_traders = traders + accounts, previous_traders + previous_accounts
        volume, previous_volume, profit, previous_profit, commission, previous_commission = map(_decimal, amounts)
        dashboard.trading.append(
            TradingRow(
                currency=currency,
                trades=int(trades),
                previous_trades=int(previous_trades),
                volume=volume,
                previous_volume=previous_volume,
                profit=profit,
                previous_profit=previous_profit,
                commission=commission,
                previous_commission=previous_commission,
            )
        )
    dashboard.figures += [
        Figure(
            "trades",
            _("Trades"),
            sum(row.trades for row in dashboard.trading),
            sum(row.previous_trades for row in dashboard.trading),
            _("Executions on live accounts in the period: positions opened and closed (in full or part)."),
        ),
        Figure(
            "traders",
            _("Trading accounts"),
            int(traders),
            int(previous_traders),
            _("Live trading accounts with at least one execution in the period."),
        ),
    ]
    dashboard.series["trades"] = _lined_up(per_day, dashboard)


DEAL_EVENT = ("day", "currency_id", "account_id", "current", "lots", "profit", "commission")
_DEAL_SUMS = ", ".join(
    f"SUM(CASE WHEN current = {current} THEN {column} ELSE 0 END)"
    for column in ("lots", "profit", "commission")
    for current in (1, 0)
)
# Executions and accounts traded per account currency in each period, their sums, and the executions per day, over
# the deal events (`add_trading_figures`).
DEAL_GROUPINGS = (
    "SELECT 'currency', CAST(NULL AS date), currency_id, SUM(current), SUM(1 - current), "  # noqa: S608 (no values)
    "COUNT(DISTINCT CASE WHEN current = 1 THEN account_id END), "
    f"COUNT(DISTINCT CASE WHEN current = 0 THEN account_id END), {_DEAL_SUMS} FROM events GROUP BY currency_id "
    "UNION ALL SELECT 'day', day, NULL, COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM events GROUP BY day "
    "ORDER BY 1, 3"
)
