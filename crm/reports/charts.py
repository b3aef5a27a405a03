"""Chart.js data (the copy django-unfold serves from local static files) for the dashboard's charts."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from crm.reports.selectors import BreakdownRow

CURRENT = "var(--color-primary-600)"
PREVIOUS = "#94a3b8"
SECOND = "#f59e0b"


def comparison_chart(series: dict[str, list[Any]], *, label: object) -> str:
    """A line per period, day by day: this period in the primary colour, the one before in grey."""
    return json.dumps(
        {
            "labels": _day_labels(tuple(series["days"])),
            "datasets": [
                {"label": str(label), "data": series["current"], "borderColor": CURRENT, "backgroundColor": CURRENT},
                {
                    "label": _("Previous period"),
                    "data": series["previous"],
                    "borderColor": PREVIOUS,
                    "backgroundColor": PREVIOUS,
                    "borderDash": [4, 4],
                },
            ],
        }
    )


@lru_cache(maxsize=8)
def _day_labels(days: tuple[str, ...]) -> list[str]:
    """ "05 Dec" per ISO day; the charts of one page share their days, so this is worked out once."""
    return [dt.date.fromisoformat(day).strftime("%d %b") for day in days]


def breakdown_chart(rows: list[BreakdownRow], *, labels: dict[str, object]) -> str:
    """Bars per row (country, agent...), one colour per counted figure."""
    colours = [CURRENT, SECOND, PREVIOUS]
    return json.dumps(
        {
            "labels": [row.label for row in rows],
            "datasets": [
                {"label": str(text), "data": [row.counts[key] for row in rows], "backgroundColor": colours[index % 3]}
                for index, (key, text) in enumerate(labels.items())
            ],
        }
    )
