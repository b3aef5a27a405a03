"""Daily rollups of the admin dashboard: clients and money per closed broker day, so a year costs a few thousand
rows instead of millions.

Writing: `refresh()` (the beat task "Reports: dashboard daily rollups") computes every day up to yesterday in the
broker's time zone (`TIME_ZONE`) once, then only the days touched since: database triggers (migration 0008) record
the UTC date of every client or transaction row that changed in a way the rollups count. A change of `TIME_ZONE`
recomputes everything.

Reading: `Coverage.load()` (one small query) says which days the rollups hold; `Coverage.split()` cuts a span of
days into the days read from the rollups and the instants read from the raw rows: today, every day after the last
refresh, and every touched day not recomputed yet. Figures are the sum of both parts, so they equal the raw
computation at every moment. On SQLite (the embedded default) there are no triggers and no rollups: everything is
read from the raw rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.locks import lock_name
from crm.reports.models import ClientDay, MoneyDay, RollupState
from crm.reports.periods import start_of
from crm.wallets.models import Transaction

ONE_DAY = dt.timedelta(days=1)
# A deposit counts once completed; a withdrawal once approved (the money has left the wallet) or paid.
DEPOSIT_DONE = [Transaction.Status.COMPLETED]
WITHDRAWAL_DONE = [Transaction.Status.APPROVED, Transaction.Status.COMPLETED]

DayRange = tuple[dt.date | None, dt.date | None]  # both ends included; None: unbounded


@dataclass(frozen=True)
class Split:
    """A span of broker days cut in two: `rolled` (a condition on a rollup's `day`, None when no day is rolled up)
    and `raw_days`, the day ranges whose figures come from the raw rows."""

    rolled: Q | None
    raw_days: tuple[DayRange, ...]

    def raw(self, column: str) -> Q | None:
        """The raw rows whose `column` falls on a raw day; None when no day is read raw."""
        if not self.raw_days:
            return None
        condition = Q()
        for first, last in self.raw_days:
            bounds: dict[str, object] = {f"{column}__isnull": False}
            if first is not None:
                bounds[f"{column}__gte"] = start_of(first)
            if last is not None:
                bounds[f"{column}__lt"] = start_of(last + ONE_DAY)
            condition |= Q(**bounds)
        return condition


@dataclass(frozen=True)
class Coverage:
    """The broker days the rollups hold: every day up to `covered_through` except the `touched` ones."""

    covered_through: dt.date | None
    touched: frozenset[dt.date]

    @classmethod
    def load(cls) -> Coverage:
        """What the rollups hold now, for the current `TIME_ZONE`; nothing on SQLite or before the first refresh."""
        if connection.vendor != "postgresql":
            return cls(covered_through=None, touched=frozenset())
        with connection.cursor() as cursor:  # the state of this zone and the touched days, in one query
            cursor.execute(
                "SELECT covered_through, ARRAY(SELECT DISTINCT utc_day FROM reports_rolluptouch) "
                "FROM reports_rollupstate WHERE zone = %s ORDER BY id LIMIT 1",
                [settings.TIME_ZONE],
            )
            row = cursor.fetchone()
        if row is None:
            return cls(covered_through=None, touched=frozenset())
        covered_through, utc_days = row
        return cls(covered_through=covered_through, touched=frozenset(_broker_days(utc_days)))

    def split(self, first: dt.date | None, last: dt.date | None) -> Split:
        """The days `first`..`last` (None: unbounded) as rolled-up days and raw day ranges."""
        if self.covered_through is None or (first is not None and first > self.covered_through):
            return Split(rolled=None, raw_days=((first, last),))
        rolled_last = self.covered_through if last is None else min(last, self.covered_through)
        touched = sorted(day for day in self.touched if (first is None or day >= first) and day <= rolled_last)
        rolled, raw = _cut(first, rolled_last, touched)
        if last is None or last > self.covered_through:
            raw.append((self.covered_through + ONE_DAY, last))
        condition = None
        for start, end in rolled:
            bounds = Q(day__lte=end) if start is None else Q(day__gte=start, day__lte=end)
            condition = bounds if condition is None else condition | bounds
        return Split(rolled=condition, raw_days=tuple(_merged(raw)))


def _broker_days(utc_days: Iterable[dt.date]) -> set[dt.date]:
    """The broker days a UTC date overlaps: at most the day before and after, whatever the zone's offset."""
    return {day + offset * ONE_DAY for day in utc_days for offset in (-1, 0, 1)}


def _cut(first: dt.date | None, last: dt.date, touched: list[dt.date]) -> tuple[list[DayRange], list[DayRange]]:
    """`first`..`last` without the sorted `touched` days, and the touched days, both as ranges."""
    rolled: list[DayRange] = []
    start = first
    for day in touched:
        if start is None or day > start:
            rolled.append((start, day - ONE_DAY))
        start = day + ONE_DAY
    if start is None or start <= last:
        rolled.append((start, last))
    return rolled, _merged((day, day) for day in touched)


def _merged(ranges: Iterable[DayRange]) -> list[DayRange]:
    """Day ranges (sorted, bounded below except the first) with neighbours joined."""
    result: list[DayRange] = []
    for first, last in ranges:
        previous_last = result[-1][1] if result else None
        if result and previous_last is not None and first is not None and first <= previous_last + ONE_DAY:
            result[-1] = (result[-1][0], last if last is None else max(last, previous_last))
        else:
            result.append((first, last))
    return result


# Refreshing ----------------------------------------------------------------------------------------------------


def refresh(*, now: dt.datetime | None = None) -> int:
    """Compute the rollups of every broker day up to yesterday not computed yet and of every day touched since the
    last refresh; returns how many rollup rows were written. Running it again changes nothing; concurrent runs wait
    for each other. Does nothing on SQLite."""
    if connection.vendor != "postgresql":
        return 0
    now = now or timezone.now()
    yesterday = timezone.localdate(now, timezone.get_default_timezone()) - ONE_DAY
    with transaction.atomic():
        lock_name("crm.reports.rollups")  # one refresh at a time, the first one included (no state row to lock yet)
        with connection.cursor() as cursor:
            state = RollupState.objects.first()
            # Only the touches committed so far: a write committing later leaves its touch for the next run.
            cursor.execute("DELETE FROM reports_rolluptouch RETURNING utc_day")
            utc_days = {row[0] for row in cursor.fetchall()}
        if state is None or state.zone != settings.TIME_ZONE:
            days: list[DayRange] = [(None, yesterday)]
        else:
            touched = sorted(day for day in _broker_days(utc_days) if day <= min(yesterday, state.covered_through))
            days = _merged((day, day) for day in touched)
            if state.covered_through < yesterday:
                days = _merged([*days, (state.covered_through + ONE_DAY, yesterday)])
        written = _recompute(days, yesterday)
        RollupState.objects.all().delete()
        RollupState.objects.create(zone=settings.TIME_ZONE, covered_through=yesterday, refreshed_at=now)
    return written


def _recompute(days: list[DayRange], yesterday: dt.date) -> int:
    # Days after yesterday may hold rows of an earlier refresh made with a later clock: they are not covered (read
    # raw) and are recomputed when they become new days.
    ClientDay.objects.filter(day__gt=yesterday).delete()
    MoneyDay.objects.filter(day__gt=yesterday).delete()
    if not days:
        return 0
    if days[0][0] is None:
        ClientDay.objects.all().delete()
        MoneyDay.objects.all().delete()
    else:
        for first, last in days:
            ClientDay.objects.filter(day__gte=first, day__lte=last).delete()
            MoneyDay.objects.filter(day__gte=first, day__lte=last).delete()
    zone = settings.TIME_ZONE
    with connection.cursor() as cursor:
        registered, registered_params = _in_days("registered_at", days, "registered")
        deposited, deposited_params = _in_days("first_deposit_at", days, "deposited")
        cursor.execute(
            f"""
            INSERT INTO reports_clientday (day, conversion_agent_id, retention_agent_id, introducer_id, country,
                                           source, kyc_status, registrations, ftds)
            SELECT day, conversion_agent_id, retention_agent_id, introducer_id, country, source, kyc_status,
                   SUM(registrations), SUM(ftds)
            FROM (
                SELECT (registered_at AT TIME ZONE %(zone)s)::date AS day, conversion_agent_id, retention_agent_id,
                       introducer_id, country, source, kyc_status, 1 AS registrations, 0 AS ftds
                FROM customers_customer WHERE {registered}
                UNION ALL
                SELECT (first_deposit_at AT TIME ZONE %(zone)s)::date, conversion_agent_id, retention_agent_id,
                       introducer_id, country, source, kyc_status, 0, 1
                FROM customers_customer WHERE {deposited}
            ) AS events
            GROUP BY day, conversion_agent_id, retention_agent_id, introducer_id, country, source, kyc_status
            """,  # noqa: S608 (the conditions are built here from column names; values are parameters)
            {"zone": zone, **registered_params, **deposited_params},
        )
        written = cursor.rowcount
        created, created_params = _in_days("t.created_at", days, "created")
        deposit_done = "(t.type = %(deposit)s AND t.status = ANY(%(deposit_done)s))"
        withdrawal_done = "(t.type = %(withdrawal)s AND t.status = ANY(%(withdrawal_done)s))"
        withdrawal_waiting = "(t.type = %(withdrawal)s AND t.status = %(pending)s)"
        cursor.execute(
            f"""
            INSERT INTO reports_moneyday (day, currency_id, conversion_agent_id, retention_agent_id, deposits,
                                          withdrawals, deposit_count, pending_withdrawals)
            SELECT (t.created_at AT TIME ZONE %(zone)s)::date, t.currency_id, c.conversion_agent_id,
                   c.retention_agent_id,
                   COALESCE(SUM(t.amount) FILTER (WHERE {deposit_done}), 0),
                   COALESCE(SUM(t.amount) FILTER (WHERE {withdrawal_done}), 0),
                   COUNT(*) FILTER (WHERE {deposit_done}),
                   COALESCE(SUM(t.amount) FILTER (WHERE {withdrawal_waiting}), 0)
            FROM wallets_transaction t LEFT JOIN customers_customer c ON c.id = t.customer_id
            WHERE ({deposit_done} OR {withdrawal_done} OR {withdrawal_waiting}) AND ({created})
            GROUP BY 1, 2, 3, 4
            """,  # noqa: S608 (as above)
            {
                "zone": zone,
                "deposit": Transaction.Type.DEPOSIT,
                "withdrawal": Transaction.Type.WITHDRAWAL,
                "deposit_done": [str(status) for status in DEPOSIT_DONE],
                "withdrawal_done": [str(status) for status in WITHDRAWAL_DONE],
                "pending": Transaction.Status.PENDING,
                **created_params,
            },
        )
        return int(written + cursor.rowcount)


def _in_days(column: str, days: list[DayRange], prefix: str) -> tuple[str, dict[str, dt.datetime]]:
    """SQL condition: `column` falls on one of the broker days `days` (and is set), with its named parameters."""
    conditions, params = [], {}
    for index, (first, last) in enumerate(days):
        bounds = [f"{column} IS NOT NULL"]
        if first is not None:
            bounds.append(f"{column} >= %({prefix}_from_{index})s")
            params[f"{prefix}_from_{index}"] = start_of(first)
        if last is not None:
            bounds.append(f"{column} < %({prefix}_to_{index})s")
            params[f"{prefix}_to_{index}"] = start_of(last + ONE_DAY)
        conditions.append("(" + " AND ".join(bounds) + ")")
    return " OR ".join(conditions), params
