"""Template helpers for the staff log-in pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil

register = template.Library()


@register.filter
def duration_words(delta: dt.timedelta | None) -> str:
    """A cool-off period in words ("30 minutes", "1 hour")."""
    if not delta:
        return ""
    now = timezone.now()
    return timeuntil(now + delta, now)
