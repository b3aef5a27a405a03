"""The period picker of the dashboard and reports: two dates, the end included, at most a year."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.reports.periods import MAX_DAYS, Period, PeriodError


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            try:
                Period(first=start, last=end)
            except PeriodError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data

    def period(self) -> Period:
        """The chosen period; the last 30 days when nothing (or nothing valid) was chosen."""
        if not self.is_bound or not self.is_valid():
            return Period.last_days()
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start and end:
            return Period(first=start, last=end)
        if end:
            return Period.last_days(today=end)
        if start:
            last = min(Period.last_days().last, start + dt.timedelta(days=MAX_DAYS - 1))
            return Period(first=start, last=max(start, last))
        return Period.last_days()
