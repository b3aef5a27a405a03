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
- Each cell's `data-label` is its header's text, a lazy translation turned into text again for every cell:
  the shared headers hold it as text.
- Each row's link to its change page went through `add_preserved_filters`, which resolves the URL and parses
  and encodes the page's filters, for every row: the filters a row link carries do not depend on its primary
  key, so `share_row_links` computes them once per changelist URL, filters and script prefix.
- Unfold's results template asks every row for `cl.model_admin.list_sections`; a model admin without it made
  Django's template engine list the admin's attributes (`dir()`, hundreds of names) twice per row to tell
  a missing attribute from a failing property. `default_list_sections` gives every Unfold admin the empty
  default, which renders the same.
- A filter dropdown (Unfold's `DropdownForm`: country, status, desk...) rendered a template per option, 250
  for the country filter, on every page: `share_dropdown_renders` gives those forms a select that writes its
  options in Python, the same HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

from django.contrib.admin import helpers
from django.db.models import Model
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import checkbox
from unfold.widgets import UnfoldAdminSelectWidget

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
            # A lazy header text becomes text once here, not once per cell (str() keeps a SafeString safe).
            headers = [
                {**header, "text": str(header["text"])} if isinstance(header.get("text"), Promise) else header
                for header in build(cl)
            ]
            setattr(cl, _HEADERS, headers)
        return iter(headers)

    result_headers.shared = True  # type: ignore[attr-defined]
    unfold_list.result_headers = result_headers


def default_list_sections() -> None:
    """Give Unfold's ModelAdmin an empty `list_sections` when it has none (see the module docstring)."""
    if not hasattr(UnfoldModelAdmin, "list_sections"):
        setattr(UnfoldModelAdmin, "list_sections", ())  # noqa: B010 - not a declared attribute of the stubs


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
        # Only plain values are shared (a text, a number, a flag, nothing, or a (value, text) pair of them, as the
        # clients' status and KYC columns return): an object's text can change.
        plain = isinstance(value, _PLAIN) or (
            isinstance(value, tuple) and all(isinstance(part, _PLAIN) for part in value)
        )
        if not plain or not isinstance(label, bool | str | dict):
            return cast(SafeString, render(value, empty_value_display, label))
        key = (
            tuple(str(part) if isinstance(part, Promise) else part for part in value)
            if isinstance(value, tuple)
            else str(value)
            if isinstance(value, Promise)
            else value,
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


# A row's change link: everything up to the primary key, the key, and the view's tail.
_ROW_LINK = re.compile(r"^(?P<head>[^?#]*/)(?P<pk>[^/?#]+)(?P<tail>/change/)$")
_ROW_LINK_SUFFIXES: dict[tuple[Any, ...], str] = {}
_ROW_LINKS_KEPT = 512  # distinct (changelist, filters, prefix); when full the table starts again


def share_row_links() -> None:
    """Make Unfold's row links carry the page's filters computed once per changelist and filters (see above)."""
    from unfold.templatetags import unfold_list

    build = unfold_list.add_preserved_filters
    if getattr(build, "shared", False):
        return

    def add_preserved_filters(context: Any, url: str, popup: bool = False, to_field: str | None = None) -> str:
        match = _ROW_LINK.match(url)
        if match is None or popup or to_field or context.get("preserved_qsl"):
            return cast(str, build(context, url, popup, to_field))
        key = (
            match["head"],
            match["tail"],
            context.get("preserved_filters"),
            context.get("opts"),
            get_script_prefix(),
        )
        suffix = _ROW_LINK_SUFFIXES.get(key)
        if suffix is None:
            built = cast(str, build(context, url, popup, to_field))
            if not built.startswith(url):
                return built
            suffix = built[len(url) :]
            if len(_ROW_LINK_SUFFIXES) >= _ROW_LINKS_KEPT:
                _ROW_LINK_SUFFIXES.clear()
            _ROW_LINK_SUFFIXES[key] = suffix
        return url + suffix

    add_preserved_filters.shared = True  # type: ignore[attr-defined]
    unfold_list.add_preserved_filters = add_preserved_filters


class OptionsInPythonSelect(UnfoldAdminSelectWidget):  # type: ignore[misc]  # unfold.widgets is untyped
    """Unfold's select whose options are written in Python instead of a template include per option."""

    template_name = "core/widgets/select.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        context["widget"]["options_html"] = mark_safe(  # noqa: S308 - every part escaped below
            "".join(_optgroup_html(group, options) for group, options, _index in context["widget"]["optgroups"])
        )
        return context


def _optgroup_html(group: Any, options: list[dict[str, Any]]) -> str:
    html = "".join(_option_html(option) for option in options)
    return f'<optgroup label="{conditional_escape(group)}">{html}</optgroup>' if group else html


def _option_html(option: dict[str, Any]) -> str:
    # As django/forms/widgets/select_option.html and attrs.html write them, escaped as the templates escape.
    attrs = "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in option["attrs"].items()
        if value is not False
    )
    value, label = conditional_escape(str(option["value"])), conditional_escape(option["label"])
    return f'<option value="{value}"{attrs}>{label}</option>'


def share_dropdown_renders() -> None:
    """Give Unfold's dropdown filter form (`DropdownForm`) the select above (called from CoreConfig.ready)."""
    from unfold.contrib.filters.forms import DropdownForm

    if isinstance(DropdownForm.widget, OptionsInPythonSelect):
        return
    widget = OptionsInPythonSelect()
    widget.attrs = dict(DropdownForm.widget.attrs)  # the same classes and data attributes, not prefixed again
    DropdownForm.widget = widget


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
