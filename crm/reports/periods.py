"""Report periods: whole days in the broker's time zone (`TIME_ZONE`), the end day included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

DEFAULT_DAYS = 30
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be reported on (end before start, longer than `MAX_DAYS`)."""


@dataclass(frozen=True)
class Period:
    """The days `first`..`last` (both included), as the aware instants [start, end) in the broker's zone."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(_("The end comes before the start."))
        if self.days > MAX_DAYS:
            raise PeriodError(_("A period is at most %(count)d days.") % {"count": MAX_DAYS})

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, *, today: dt.date | None = None) -> Period:
        """The `days` days up to today (the broker's today)."""
        last = today or timezone.localdate()
        return cls(first=last - dt.timedelta(days=days - 1), last=last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        return start_of(self.first)

    @property
    def end(self) -> dt.datetime:
        return start_of(self.last + dt.timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(first=self.first - dt.timedelta(days=self.days), last=self.first - dt.timedelta(days=1))

    def dates(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=offset) for offset in range(self.days)]


def start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the broker's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())
