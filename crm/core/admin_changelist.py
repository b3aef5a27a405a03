"""Changelist rendering at the cost of its rows: what Unfold's changelist recomputes per row, computed once.

Profiled on the leads changelist (50 rows, 12 columns), two costs grew with rows x columns:
- Unfold's `items_for_result` rebuilds every column header (with three sort links each, through
  `get_query_string` and `urlencode`) for every row, only to read each header's text for the cell's
  `data-label`: 50 x 14 header builds per page. `share_result_headers` makes them one per page and request:
  the headers of one changelist never change while it renders.
- The row checkbox went through the widget's template for every row. `QuickActionCheckboxMixin` renders
  Unfold's checkbox once per language and fills in each row's primary key: the same HTML, no template.
- A label column (`@display(label=...)`: statuses, KYC, flags) rendered two templates per cell for a handful
  of distinct values. `share_label_renders` keeps the last renders per value, label type and language.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django.contrib.admin import helpers
from django.db.models import Model
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import checkbox

_HEADERS = "_shared_result_headers"


def share_result_headers() -> None:
    """Make Unfold's `result_headers(cl)` build a changelist's headers once (called from CoreConfig.ready)."""
    from unfold.templatetags import unfold_list

    build = unfold_list.result_headers
    if getattr(build, "shared", False):
        return

    def result_headers(cl: Any) -> Iterator[Any]:
        headers = getattr(cl, _HEADERS, None)
        if headers is None:
            headers = list(build(cl))
            setattr(cl, _HEADERS, headers)
        return iter(headers)

    result_headers.shared = True  # type: ignore[attr-defined]
    unfold_list.result_headers = result_headers


_LABELS: dict[tuple[Any, ...], SafeString] = {}
_PLAIN = (str, int, Promise, type(None))
_LABELS_KEPT = 1024  # distinct (value, label type, language) renders kept; beyond that cells render as before


def share_label_renders() -> None:
    """Make Unfold's label cells render once per value, label type and language (called from CoreConfig.ready)."""
    from unfold.templatetags import unfold_list

    render = unfold_list.display_for_label
    if getattr(render, "shared", False):
        return

    def display_for_label(value: Any, empty_value_display: str, label: Any) -> SafeString:
        # Only plain values are shared (a text, a number, a flag, nothing): an object's text can change.
        if not isinstance(value, _PLAIN) or not isinstance(label, bool | str | dict):
            return cast(SafeString, render(value, empty_value_display, label))
        key = (
            str(value) if isinstance(value, Promise) else value,
            str(empty_value_display),
            tuple(label.items()) if isinstance(label, dict) else label,
            translation.get_language(),
        )
        html = _LABELS.get(key)
        if html is None:
            html = cast(SafeString, render(value, empty_value_display, label))
            if len(_LABELS) < _LABELS_KEPT:
                _LABELS[key] = html
        return html

    display_for_label.shared = True  # type: ignore[attr-defined]
    unfold_list.display_for_label = display_for_label


_CHECKBOXES: dict[str | None, str] = {}


def action_checkbox_html(pk: Any) -> SafeString:
    """Unfold's row checkbox for `pk`, exactly as its widget renders it."""
    language = translation.get_language()
    template = _CHECKBOXES.get(language)
    if template is None:
        rendered = str(checkbox.render(helpers.ACTION_CHECKBOX_NAME, "0"))
        template = rendered.replace("{", "{{").replace("}", "}}").replace('value="0"', 'value="{}"', 1)
        _CHECKBOXES[language] = template
    return format_html(template, pk)


class QuickActionCheckboxMixin:
    """The changelist's row checkbox without a template render per row (see the module docstring)."""

    def action_checkbox(self, obj: Model) -> SafeString:
        return action_checkbox_html(obj.pk)

    # The column's header stays Unfold's select-all box.
    action_checkbox.short_description = UnfoldModelAdmin.action_checkbox.short_description  # type: ignore[attr-defined]
