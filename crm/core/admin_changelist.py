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
- Unfold's `items_for_result` works out per cell what only depends on the column: the field or admin method
  behind it (Django's `lookup_field`), the `@display` flags, the empty value (a lazy translation), the classes,
  the data-label, whether it links, a choices field's flattened choices; and reverses each row's change URL.
  `share_row_cells` gives Unfold an `items_for_result` that works them out once per changelist (`_column_plan`)
  and writes the same cells (tests/core/test_admin_changelist.py compares them on every changelist).
- Unfold's results template then loops over rows and cells (a dozen template nodes per cell). Where a row has
  nothing but its cells, `share_row_html` writes the rows in Python with the template's markup, and the
  project's copy of that template (templates/admin/change_list_results.html) prints them in place of the loop.
- Each dropdown or text filter rendered five templates or more for the same few forms on every page:
  `share_filter_renders` keeps each render under everything it depends on; date ranges and an autocomplete with
  nothing chosen too, and a dropdown over a model field's own choices (country: 250) is looked up before its
  choices and form are built.
- The search box and the pagination (a template per page link) were looked up per model and rendered on every
  page: `share_admin_inclusions` keeps each render of Unfold's templates under the model, what it reads of the
  changelist and the language.
- Cells, row links and row checkboxes are escaped and marked safe without the lazy-text checks Django's `escape`,
  `mark_safe` and `format_html` make on each call (700 cells a page).
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from html import escape as html_escape
from pathlib import Path
from typing import Any, cast

from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import _coerce_field_name  # type: ignore[attr-defined]  # private
from django.contrib.admin.utils import (  # type: ignore[attr-defined]  # _get_non_gfk_field is private
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Model
from django.template.loader import get_template, render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import translation
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import checkbox
from unfold.templatetags import unfold_list
from unfold.widgets import UnfoldAdminSelectWidget

from crm.core.admin_chrome import frozen, keep, render_kept

_HEADERS = "_shared_result_headers"


_HEADER_BUILDS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_HEADER_BUILDS_KEPT = 512  # distinct (changelist, sorting, filters, language); when full the table starts again


def _header_build_key(cl: Any) -> tuple[Any, ...] | None:
    """What Unfold's `result_headers(cl)` builds a changelist's headers from, or None: the admin and its columns
    (their labels and whether and how they sort), the columns sorted and how, the page's query parameters (each
    header's three sort links keep them), and the language of the labels and the select-all box."""
    model_admin = cl.model_admin
    sortable_by = cl.sortable_by
    try:
        key = (
            type(cl),
            model_admin,
            cl.model,
            tuple(cl.list_display),
            None if sortable_by is None else tuple(sortable_by),
            tuple(cl.get_ordering_field_columns().items()),
            tuple((name, tuple(values)) for name, values in sorted(cl.filter_params.items())),
            getattr(model_admin, "ordering_field", None),
            bool(getattr(model_admin, "hide_ordering_field", False)),
            translation.get_language(),
        )
        hash(key)
    except TypeError:
        return None  # a column or parameter that is no plain value
    return key


def share_result_headers() -> None:
    """Make Unfold's `result_headers(cl)` build a changelist's headers once (called from CoreConfig.ready), and
    keep them for the next page with the same columns, sorting, filters and language (`_header_build_key`):
    building them made three sort links per column (the page's parameters copied, sorted and encoded each time)
    and rendered the select-all box's template on every page."""
    build = unfold_list.result_headers
    if getattr(build, "shared", False):
        return

    def result_headers(cl: Any) -> Iterator[Any]:
        headers = getattr(cl, _HEADERS, None)
        if headers is None:
            key = _header_build_key(cl)
            kept = _HEADER_BUILDS.get(key) if key is not None else None
            if kept is None:
                # A lazy header text becomes text once here, not once per cell (str() keeps a SafeString safe).
                kept = [
                    {**header, "text": str(header["text"])} if isinstance(header.get("text"), Promise) else header
                    for header in build(cl)
                ]
                if key is not None:
                    keep(_HEADER_BUILDS, key, kept, _HEADER_BUILDS_KEPT)
            headers = [dict(header) for header in kept]  # the page's own dicts: the kept ones stay as built
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
_LABELS_KEPT = 1024  # distinct (value, label type, language) renders; when full the table starts again


def share_label_renders() -> None:
    """Make Unfold's label cells render once per value, label type and language (called from CoreConfig.ready)."""
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
            keep(_LABELS, key, html, _LABELS_KEPT)
        return html

    display_for_label.shared = True  # type: ignore[attr-defined]
    unfold_list.display_for_label = display_for_label


# A row's change link: everything up to the primary key, the key, and the view's tail.
_ROW_LINK = re.compile(r"^(?P<head>[^?#]*/)(?P<pk>[^/?#]+)(?P<tail>/change/)$")
_ROW_LINK_SUFFIXES: dict[tuple[Any, ...], str] = {}
_ROW_LINKS_KEPT = 512  # distinct (changelist, filters, prefix); when full the table starts again


def share_row_links() -> None:
    """Make Unfold's row links carry the page's filters computed once per changelist and filters (see above)."""
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
            keep(_ROW_LINK_SUFFIXES, key, suffix, _ROW_LINKS_KEPT)
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
    return SafeString(template.format(_escaped(pk)))  # format_html's text, without its lazy-text wrappers


class QuickActionCheckboxMixin:
    """The changelist's row checkbox without a template render per row (see the module docstring)."""

    def action_checkbox(self, obj: Model) -> SafeString:
        return action_checkbox_html(obj.pk)

    # The column's header stays Unfold's select-all box.
    action_checkbox.short_description = UnfoldModelAdmin.action_checkbox.short_description  # type: ignore[attr-defined]


# Rows -------------------------------------------------------------------------------------------------------------

_PLAN = "_shared_column_plan"
# Unfold's data-label of a first cell that is no link (the row checkbox), translated by Unfold's own catalog.
_SELECT_RECORD = "Select record"
_LINK_CLASS = " ".join(("text-font-important-light", "dark:text-font-important-dark"))  # Unfold's LINK_CLASSES
_URL_PK = "0pk0"  # stands for the primary key in a change URL reversed once per changelist
_PLAIN_PK = re.compile(r"^[A-Za-z0-9_.~-]+$")  # a quoted primary key that reverse() would write as it is


class _Kind(Enum):
    FIELD = "a model field shown by display_for_field"
    RELATED = "a foreign key: its object"
    CALLED = "an admin method, a callable or an automatic field (the id): display_for_value and the decorator's flags"
    LOOKED_UP = "a model attribute, property or related lookup: Django's lookup_field on every row"


@dataclass(frozen=True, slots=True)
class _Shown:
    """How Unfold shows a value that is no plain model field: the `@display` flags of its method."""

    boolean: bool
    label: Any
    dropdown: bool
    header: bool
    empty: str
    classes: tuple[str, ...]

    @classmethod
    def of(cls, attr: Any, name: str, empty: Any, classes: tuple[str, ...]) -> _Shown:
        return cls(
            boolean=bool(getattr(attr, "boolean", False)),
            label=getattr(attr, "label", False),
            dropdown=bool(getattr(attr, "dropdown", False)),
            header=bool(getattr(attr, "header", False)),
            empty=str(getattr(attr, "empty_value_display", empty)),  # a lazy translation as text once
            classes=tuple(unfold_list.CHECKBOX_CLASSES) if name == "action_checkbox" else classes,
        )


@dataclass(slots=True)
class _Column:
    name: str
    kind: _Kind
    classes: tuple[str, ...]  # field-<name> and Unfold's cell classes; a field's with "nowrap" where Unfold adds it
    label: str  # the cell's data-label, escaped
    link: bool
    tag: str
    field: Any = None
    attr: Any = None  # a CALLED column's admin method or callable (None for an automatic field)
    shown: _Shown | None = None
    choices: dict[Any, Any] | None = None  # a choices field's flat choices, as display_for_field looks them up
    boolean: bool = False  # a boolean field without choices: Unfold's icon
    datetime: bool = False  # a date and time field without choices: `_datetime_text`
    text: bool = False  # a text field without choices: its text as it is


@dataclass(slots=True)
class _Plan:
    model: type[Model]
    model_admin: Any
    columns: list[_Column]
    empty: str
    row_url: tuple[str, str] | None  # (before, after) the quoted primary key, the page's filters included
    pk_attname: str
    pk_name: str
    hidden_column: str | None  # Unfold's hidden ordering field
    # How the page writes a date and time (`_DatetimeText`), worked out once where a column shows them.
    datetimes: _DatetimeText | None = None


def _column_plan(cl: Any) -> _Plan:
    """Everything Unfold's `items_for_result` recomputes per cell that does not depend on the row."""
    model_admin = cl.model_admin
    opts = cl.model._meta
    # Text once: the admin's empty value is a lazy translation, turned into text for every cell otherwise.
    empty = str(model_admin.get_empty_value_display())
    headers = list(unfold_list.result_headers(cl))
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        kind, found, attr = _kind_of(name, opts, model_admin)
        classes = (f"field-{_coerce_field_name(name, index)}", *unfold_list.ROW_CLASSES)
        if kind in (_Kind.FIELD, _Kind.RELATED) and isinstance(
            found, models.DateField | models.TimeField | models.ForeignKey
        ):
            classes = (*classes, "nowrap")
        link = cl.list_display_links is not None and (
            (first and not cl.list_display_links) or name in cl.list_display_links
        )
        tag = "th" if link and first else "td"
        first = first and not link
        label = headers[index]["text"] if link or index else translation.gettext(_SELECT_RECORD)
        column = _Column(name, kind, classes, conditional_escape(label), link, tag, field=found, attr=attr)
        if kind is _Kind.CALLED:
            column.shown = _Shown.of(attr, name, empty, classes)
        elif kind is _Kind.FIELD and getattr(found, "flatchoices", None):
            try:
                column.choices = dict(found.flatchoices)
            except TypeError:
                column.choices = None  # unhashable choices: display_for_field on every row
        elif kind is _Kind.FIELD:
            column.boolean = isinstance(found, models.BooleanField)
            column.datetime = isinstance(found, models.DateTimeField)
            column.text = type(found) in _TEXT_FIELDS
        columns.append(column)
    return _Plan(
        model=cl.model,
        model_admin=model_admin,
        columns=columns,
        empty=empty,
        row_url=_row_url(cl) if any(column.link for column in columns) else None,
        pk_attname=cl.lookup_opts.pk.attname,
        pk_name=cl.model._meta.pk.name,
        hidden_column=getattr(model_admin, "ordering_field", None)
        if getattr(model_admin, "hide_ordering_field", False)
        else None,
        datetimes=_DatetimeText.current() if any(column.datetime for column in columns) else None,
    )


def _kind_of(name: Any, opts: Any, model_admin: Any) -> tuple[_Kind, Any, Any]:
    """(kind, model field, admin method or callable) of a column, in the order Django's `lookup_field` tries them."""
    try:
        found = _get_non_gfk_field(opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        if callable(name):
            return _Kind.CALLED, None, name
        if hasattr(model_admin, name) and name != "__str__":
            return _Kind.CALLED, None, getattr(model_admin, name)
        return _Kind.LOOKED_UP, None, None
    if found.auto_created:
        return _Kind.CALLED, found, None
    if isinstance(found.remote_field, models.ManyToOneRel):
        return _Kind.RELATED, found, None
    return _Kind.FIELD, found, None


def _row_url(cl: Any) -> tuple[str, str] | None:
    """A row's change link around its quoted primary key, reversed and given the page's filters once; None where
    the changelist builds its links its own way or the model has no change page."""
    if type(cl).url_for_result is not ChangeList.url_for_result:
        return None
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_URL_PK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    before, _pk, after = url.partition(_URL_PK)
    linked = unfold_list.add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    if url.count(_URL_PK) != 1 or not linked.startswith(url):
        return None
    return before, after + linked[len(url) :]


_BOOLEAN_ICONS: dict[tuple[bool | None, str | None], str] = {}


def _boolean_icon(value: Any) -> str:
    """Unfold's boolean icon (a template render per cell), rendered once per state and language."""
    from unfold import utils  # type: ignore[attr-defined]  # not in stubs/unfold

    if not isinstance(value, bool | None):
        return cast(str, utils._boolean_icon(value))
    key = (value, translation.get_language())
    html = _BOOLEAN_ICONS.get(key)
    if html is None:
        html = _BOOLEAN_ICONS[key] = cast(str, utils._boolean_icon(value))
    return html


def _cell_content(column: _Column, result: Model, plan: _Plan) -> tuple[Any, tuple[str, ...]]:
    """The cell's content and classes, as Unfold's `items_for_result` works them out."""
    kind = column.kind
    shown = column.shown
    try:
        if kind is _Kind.CALLED:
            value = column.attr(result) if column.attr is not None else getattr(result, column.name)
        elif kind is _Kind.LOOKED_UP:
            _found, attr, value = lookup_field(column.name, result, plan.model_admin)
            shown = _Shown.of(attr, column.name, plan.empty, column.classes)
        else:
            value = getattr(result, column.name)
    except ObjectDoesNotExist:
        return plan.empty, column.classes
    if kind is _Kind.RELATED:
        return (plan.empty if value is None else value), column.classes
    if shown is None:
        return _field_text(column, value, plan), column.classes
    text = _shown_text(shown, column.name, result, value)
    if isinstance(value, datetime.date | datetime.time):
        return text, (*shown.classes, "nowrap")
    return text, shown.classes


def _field_text(column: _Column, value: Any, plan: _Plan) -> Any:
    empty = plan.empty
    if column.choices is not None:
        try:
            return column.choices.get(value, empty)
        except TypeError:
            pass  # an unhashable value: display_for_field makes it hashable
    elif column.boolean:
        return _boolean_icon(value)
    elif column.text and type(value) is str:
        return value or empty  # display_for_field: the empty value for "", else display_for_value's str(value)
    elif column.datetime and type(value) is datetime.datetime and plan.datetimes is not None:
        return plan.datetimes.text(value)
    return unfold_list.display_for_field(value, column.field, empty)


# Fields whose value display_for_field shows as display_for_value shows a text: the text (not their subclasses,
# which may be anything).
_TEXT_FIELDS = (models.CharField, models.EmailField, models.TextField, models.SlugField, models.URLField)

# A date and time cell is `formats.localize(timezone.template_localtime(value))` as display_for_field writes it:
# Django's date format parsed on every cell, and a translation looked up for each month name and "a.m.". Here the
# format is parsed once, and each of its parts kept by what it is made of: the parts that only depend on the day
# (in the language), and those that only depend on the time of day; the rest (time zone, timestamps) made per cell.
_DAY_PARTS = frozenset("bdDEFjlLmMnNoStwWyYz")  # django.utils.dateformat.DateFormat's, of the date alone
_TIME_OF_DAY_PARTS = frozenset("aAfgGhHiPs")  # TimeFormat's, of the hour, minute and second alone
_FORMATS: dict[str, tuple[tuple[str, bool], ...]] = {}  # format -> (text, is a format character) pieces
_PARTS: dict[tuple[Any, ...], str] = {}
_PARTS_KEPT = 4096  # (part, language, day or time of day); when full the table starts again


def _format_pieces(format_string: str) -> tuple[tuple[str, bool], ...]:
    """The format's pieces as `django.utils.dateformat.Formatter.format` splits them."""
    pieces = _FORMATS.get(format_string)
    if pieces is None:
        pieces = tuple(
            (piece, True) if index % 2 else (re_escaped.sub(r"\1", piece), False)
            for index, piece in enumerate(re_formatchars.split(format_string))
            if index % 2 or piece
        )
        if len(_FORMATS) < 64:
            _FORMATS[format_string] = pieces
    return pieces


def _date_format(value: datetime.datetime, format_string: str, language: str | None) -> str:
    """`django.utils.dateformat.format(value, format_string)` for a datetime, in `language` (the active one)."""
    formatter = None
    texts = []
    for piece, is_part in _format_pieces(format_string):
        if not is_part:
            texts.append(piece)
            continue
        if piece in _DAY_PARTS:
            key: tuple[Any, ...] | None = (piece, language, value.year, value.month, value.day)
        elif piece in _TIME_OF_DAY_PARTS:
            key = (piece, language, value.hour, value.minute, value.second)
        else:
            key = None
        text = _PARTS.get(key) if key is not None else None
        if text is None:
            if formatter is None:
                formatter = DateFormat(value)
            text = str(getattr(formatter, piece)())
            if key is not None:
                keep(_PARTS, key, text, _PARTS_KEPT)
        texts.append(text)
    return "".join(texts)


@dataclass(frozen=True, slots=True)
class _DatetimeText:
    """`formats.localize(timezone.template_localtime(value))` in the time zone, language and format of the page,
    read once for its rows as their headers are (each read goes through the request's thread-local state)."""

    use_tz: bool
    zone: datetime.tzinfo
    format_string: str
    language: str | None

    @classmethod
    def current(cls) -> _DatetimeText:
        from django.conf import settings
        from django.utils import formats, timezone

        return cls(
            use_tz=bool(settings.USE_TZ),
            zone=timezone.get_current_timezone(),
            format_string=str(formats.get_format("DATETIME_FORMAT")),
            language=translation.get_language(),
        )

    def text(self, value: datetime.datetime) -> str:
        # template_localtime: an aware datetime that does not ask otherwise, in the current time zone.
        if self.use_tz and value.utcoffset() is not None and getattr(value, "convert_to_local_time", True):
            value = value.astimezone(self.zone)
        return _date_format(value, self.format_string, self.language)


def _datetime_text(value: datetime.datetime) -> str:
    """`formats.localize(timezone.template_localtime(value))`: the datetime in the current time zone, in the
    language's DATETIME_FORMAT."""
    return _DatetimeText.current().text(value)


def _shown_text(shown: _Shown, name: str, result: Model, value: Any) -> Any:
    if shown.label:
        return unfold_list.display_for_label(value, shown.empty, shown.label)
    if shown.dropdown:
        return unfold_list.display_for_dropdown(result, name, value, shown.empty)
    if shown.header:
        return unfold_list.display_for_header(value, shown.empty)
    if shown.boolean:
        return _boolean_icon(value)
    return unfold_list.display_for_value(value, shown.empty)


def _escaped(value: Any) -> str:
    """`conditional_escape(value)`, the same text, without the lazy-text wrapper Django puts around `escape` (a
    check of every argument on each of a page's 700 cells): a lazy text has no `__html__` of its own unless it is
    a lazy safe text, whose `__html__` gives what its text would."""
    if hasattr(value, "__html__"):
        return cast(str, value.__html__())
    return html_escape(str(value))


def _link(cl: Any, result: Model, plan: _Plan, content: Any) -> Any:
    """The cell's content inside the link to the row's change page, as Unfold writes it."""
    url = None
    if plan.row_url is not None:
        quoted = str(quote(getattr(result, plan.pk_attname)))  # reverse() writes a key as str() does
        if _PLAIN_PK.match(quoted):
            url = plan.row_url[0] + quoted + plan.row_url[1]
    if url is None:
        try:
            url = cl.url_for_result(result)
        except NoReverseMatch:
            return content
        url = unfold_list.add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    if cl.is_popup:
        opener = format_html(
            ' data-popup-opener="{}"', result.serializable_value(str(cl.to_field) if cl.to_field else plan.pk_attname)
        )
        return format_html('<a href="{}" class="{}" {}>{}</a>', url, _LINK_CLASS, opener, content)
    return SafeString(f'<a href="{html_escape(url)}" class="{_LINK_CLASS}" >{_escaped(content)}</a>')  # escaped


_CLASS_TEXTS: dict[tuple[str, ...], str] = {}
_CLASS_TEXTS_KEPT = 1024  # distinct class lists of cells (a few per column); when full the table starts again


def items_for_result(cl: Any, result: Model, form: Any) -> Iterator[SafeString]:
    """Unfold's `items_for_result` (the same cells, byte for byte) with the per-column work done once per page."""
    plan = getattr(cl, _PLAN, None)
    if plan is None:
        plan = _column_plan(cl)
        setattr(cl, _PLAN, plan)
    if type(result) is not plan.model:
        yield from _unfold_items_for_result(cl, result, form)
        return
    for column in plan.columns:
        content, classes = _cell_content(column, result, plan)
        if column.link:
            content = _link(cl, result, plan, content)
        else:
            # A list_editable column shows its form field (the form's own fields, as Unfold reads them).
            if (
                form
                and column.name in form.fields
                and not (column.name == plan.pk_name and form[plan.pk_name].is_hidden)
            ):
                bound = form[column.name]
                content = mark_safe(  # noqa: S308 - a rendered field and template
                    str(bound) + render_to_string("unfold/helpers/form_errors.html", {"errors": bound.errors})
                )
                if bound.errors:
                    classes = (*classes, "group", "errors")
            if column.name == plan.hidden_column:
                classes = (*classes, "!hidden")
        class_text = _CLASS_TEXTS.get(classes)
        if class_text is None:
            class_text = " ".join(classes)  # a column's twenty classes joined once, not once per cell
            keep(_CLASS_TEXTS, classes, class_text, _CLASS_TEXTS_KEPT)
        # mark_safe's result without its lazy-text wrapper: the label and content escaped, the classes Unfold's names.
        yield SafeString(
            f'<{column.tag} class="{class_text}" data-label="{column.label}">{_escaped(content)}</{column.tag}>'
        )
    if form and not form[plan.pk_name].is_hidden:
        yield format_html("<td>{}</td>", form[plan.pk_name])


_unfold_items_for_result: Any = None


def share_row_cells() -> None:
    """Make Unfold's rows use `items_for_result` above (called from CoreConfig.ready)."""
    global _unfold_items_for_result
    if unfold_list.items_for_result is items_for_result:
        return
    _unfold_items_for_result = unfold_list.items_for_result
    unfold_list.items_for_result = items_for_result


# Unfold's row markup (admin/change_list_results.html) around a row's cells, when the row has nothing else: no
# drag handle (ordering_field), no expandable sections, no row actions, no form errors.
_ROW_OPEN = (
    '<tbody class="block relative lg:table-row-group {}" x-data="{{rowOpen: false}}" >'
    '<tr class="data-row block border border-base-200 mb-3 relative rounded-default lg:table-row lg:border-none '
    'lg:mb-0 lg:rounded-none dark:border-base-800">'
)
_ROW_CLOSE = "</tr></tbody>"
_ROW_STRIPES = ("", "bg-base-50 dark:bg-white/[.02]")  # the template's {% cycle %}


def _rows_html(cl: Any, context: dict[str, Any]) -> SafeString | None:
    """The table's rows as Unfold's results template writes them, or None when a row needs the template."""
    model_admin = cl.model_admin
    if (
        getattr(model_admin, "ordering_field", None)
        or len(getattr(model_admin, "list_sections", ()) or ())
        or context.get("actions_row")
        or any(result.form is not None for result in context["results"])
    ):
        return None
    parts = []
    for index, result in enumerate(context["results"]):
        parts.append(_ROW_OPEN.format(_ROW_STRIPES[index % 2]))
        parts.extend(result)
        parts.append(_ROW_CLOSE)
    return SafeString("".join(parts))  # the cells are escaped by items_for_result, the rest is Unfold's markup


HEADERS_TEMPLATE = "unfold/helpers/change_list_headers.html"
_HEADERS_HTML: dict[tuple[Any, ...], SafeString] = {}
_HEADERS_KEPT = 1024  # distinct (headers, language); when full the table starts again
_HEADER_VALUES = (str, SafeString, bool, int, type(None))


def _headers_key(data: dict[str, Any]) -> tuple[Any, ...] | None:
    """What Unfold's headers template renders from, or None: each header's texts, links, classes and sort state
    (a safe text told from a plain one: only the second is escaped), the sorted columns' count, the two flags it
    reads of the admin, and the language of its own texts."""
    headers = []
    for header in data["result_headers"]:
        if not all(type(value) in _HEADER_VALUES for value in header.values()):
            return None
        headers.append(tuple((name, type(value), value) for name, value in header.items()))
    model_admin = data["cl"].model_admin
    return (
        tuple(headers),
        data["num_sorted_fields"],
        bool(getattr(model_admin, "ordering_field", None)),
        len(getattr(model_admin, "list_sections", None) or ()) > 0,
        translation.get_language(),
    )


def _headers_html(data: dict[str, Any]) -> SafeString | None:
    """The table's header row as Unfold's headers template renders it, kept per `_headers_key`; None where the
    results template includes it as Unfold's does. Rendering it was a template of a dozen nodes per column on every
    page, for headers that change only with the page's sorting and filters."""
    key = _headers_key(data)
    if key is None:
        return None
    html = _HEADERS_HTML.get(key)
    if html is None:
        html = cast(SafeString, get_template(HEADERS_TEMPLATE).render(data))
        keep(_HEADERS_HTML, key, html, _HEADERS_KEPT)
    return html


# The request's rows waiting for its rendered response: marker -> rows (see `share_row_html`).
_DEFERRED_ROWS = "_deferred_rows_html"


def _deferred(context: Any, rows: SafeString | None) -> SafeString | None:
    """A marker that stands for `rows` in the page until the response is rendered, where the changelist view
    waits for it; the rows themselves where it does not."""
    request = context.get("request")
    pending = getattr(request, _DEFERRED_ROWS, None)
    if rows is None or pending is None:
        return rows
    marker = f"<!--rows {secrets.token_hex(8)}-->"
    pending[marker] = rows
    return SafeString(marker)


def _put_rows(request: Any, response: Any) -> None:
    """Put the rows in the rendered page in place of their markers (a post-render callback)."""
    pending = request.__dict__.pop(_DEFERRED_ROWS, None) or {}
    content = response.content
    for marker, rows in pending.items():
        content = content.replace(marker.encode(response.charset), rows.encode(response.charset), 1)
    response.content = content


def share_row_html() -> None:
    """Make Unfold's results tag hand its template the rows written (see `_rows_html`; called from CoreConfig.ready).

    The project's admin/change_list_results.html is Unfold's with `rows_html` taking the place of its row loop.
    A page's rows are most of its HTML (400 KB for 50 leads): every template level around them joined and copied
    them again (a dozen of copies, a few milliseconds). Where the changelist view answers a template response, the
    template gets a short marker instead, and the rows go into the rendered page once (`_put_rows`).
    """
    from django.contrib.admin.options import ModelAdmin
    from django.template.response import SimpleTemplateResponse

    build = unfold_list.result_list
    if getattr(build, "shared", False):
        return

    def result_list(context: Any, cl: Any) -> dict[str, Any]:
        data: dict[str, Any] = build(context, cl)
        data["rows_html"] = _deferred(context, _rows_html(cl, data))
        data["headers_html"] = _headers_html(data)
        return data

    view = ModelAdmin.changelist_view

    def changelist_view(self: Any, request: Any, extra_context: Any = None) -> Any:
        if _DEFERRED_ROWS in request.__dict__:
            return view(self, request, extra_context)  # an inner call: the outer one puts the rows in
        request.__dict__[_DEFERRED_ROWS] = {}
        response = view(self, request, extra_context)
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.add_post_render_callback(lambda rendered: _put_rows(request, rendered))
        else:
            request.__dict__.pop(_DEFERRED_ROWS, None)
        return response

    result_list.shared = True  # type: ignore[attr-defined]
    unfold_list.result_list = result_list
    ModelAdmin.changelist_view = changelist_view  # type: ignore[method-assign]


# Filters ------------------------------------------------------------------------------------------------------------

_FILTERS: dict[tuple[Any, ...], SafeString] = {}
_FILTERS_KEPT = 1024  # distinct (filter form, values, language) renders; when full the table starts again


def _filter_key(spec: Any, choices: list[Any]) -> tuple[Any, ...] | None:
    """What a filter's render depends on when its form is one whose render we know in full, or None.

    Such a render is the filter's template over its one form and the form's bound values, in the request's
    language: `_form_key` names what else the form's fields and widgets are made of.
    """
    if spec.template == "admin/filter.html" and all(set(choice) == _LINK_CHOICE for choice in choices):
        return _links_key(spec, choices)
    if len(choices) != 1 or "form" not in choices[0] or not set(choices[0]) <= {"form", "request", "parameter_name"}:
        return None  # the date range filters' choice also carries the request and the parameter, unrendered
    form = choices[0]["form"]
    if form.prefix or form.files:
        return None
    try:
        fields = _form_key(form)
        if fields is None:
            return None
        return (
            spec.template,
            frozen(spec.title),
            type(form),
            fields,
            frozen(dict(form.data)),
            translation.get_language(),
        )
    except TypeError:
        return None  # a choice or value that is no plain text or number


_LINK_CHOICE = {"selected", "query_string", "display"}


def _links_key(spec: Any, choices: list[Any]) -> tuple[Any, ...] | None:
    """What a filter of links (admin/filter.html: "My leads", "All leads I can see") renders from: its title, its
    links (chosen or not, query, text), and what the template reads of the filter itself."""
    try:
        return (
            "links",
            spec.template,
            type(spec).__name__,
            frozen(spec.title),
            tuple(
                (bool(choice["selected"]), frozen(choice["query_string"]), frozen(choice["display"]))
                for choice in choices
            ),
            frozen(getattr(spec, "lookup_kwarg", None)),
            frozen(getattr(spec, "lookup_val", None)),
            frozen(getattr(spec, "horizontal", None)),
            translation.get_language(),
        )
    except TypeError:
        return None


def _form_key(form: Any) -> tuple[Any, ...] | None:
    """What an Unfold filter form's fields and widgets are made of besides its values and the language.

    - a dropdown of fixed choices or a text box: its one field's name, label and choices (the widgets are the
      forms' class-level ones);
    - a date range: the parameter it is built from (two date boxes named after it);
    - an autocomplete with nothing chosen: the model field it searches and the admin site's autocomplete URL
      under the script prefix (a chosen value shows that row's text, read from the database: not kept).
    """
    from unfold.contrib.filters.forms import AutocompleteDropdownForm, DropdownForm, RangeDateForm, SearchForm

    kind = type(form)
    if kind in (DropdownForm, SearchForm):
        if len(form.fields) != 1 or (kind is DropdownForm and form.widget is not DropdownForm.widget):
            return None  # a multiple choice dropdown: a widget of its own
        ((name, field),) = form.fields.items()
        return (name, frozen(field.label), frozen(getattr(field, "choices", None)))
    if kind is RangeDateForm:
        return (form.name,)
    if kind is AutocompleteDropdownForm and len(form.fields) == 1:
        ((name, field),) = form.fields.items()
        widget = field.widget
        if any(value not in (None, "") for value in form.data.values()):
            return None
        return (
            name,
            frozen(field.label),
            type(field),
            type(widget),
            widget.field.model._meta.label,
            widget.field.name,
            widget.admin_site.name,
            get_script_prefix(),
        )
    return None


def _fixed_choices_key(cl: Any, spec: Any) -> tuple[Any, ...] | None:
    """What an Unfold dropdown over a model field's own choices renders from, known before its choices are built,
    or None.

    Its form is a dropdown of "All" and the field's choices (a model field's choices are fixed when the field is
    made; the country field's 250 names are translated into the request's language), with the chosen value; no
    counts unless the page shows facets. Building those choices and their form on every page only to look the
    render up cost more than the rest of the filter panel.
    """
    from unfold.contrib.filters.admin import ChoicesDropdownFilter

    if getattr(cl, "add_facets", False):
        return None
    if type(spec) is not ChoicesDropdownFilter:
        return _dropdown_key(spec)
    value = spec.value()
    if not isinstance(value, str | type(None)):
        return None
    return (
        "fixed choices",
        spec.template,
        frozen(spec.title),
        spec.field.model._meta.label,
        spec.field.name,
        spec.lookup_kwarg,
        value,
        translation.get_language(),
    )


def _dropdown_key(spec: Any) -> tuple[Any, ...] | None:
    """What an Unfold dropdown over lookups (`DropdownFilter`) or related rows (`RelatedDropdownFilter`) renders
    from, known before its form is built (a form and a choice field made and copied on every page), or None.

    Unfold's `choices()` builds one dropdown form of "All" and the filter's lookup choices, named after its
    parameter, with the chosen value (the page shows no facets: see the caller); the key holds all of those."""
    from unfold.contrib.filters.admin import DropdownFilter, RelatedDropdownFilter
    from unfold.contrib.filters.forms import DropdownForm

    built_by = type(spec).choices
    if built_by is DropdownFilter.choices:
        name = spec.parameter_name
    elif built_by is RelatedDropdownFilter.choices:
        name = spec.lookup_kwarg
    else:
        return _form_filter_key(spec)
    if getattr(spec, "multiple", False) or spec.form_class is not DropdownForm or not spec.all_option:
        return None
    value = spec.value()
    if not isinstance(value, str | type(None)) or not isinstance(name, str):
        return None
    try:
        choices = frozen([spec.all_option, *spec.lookup_choices])
    except TypeError:
        return None  # a choice that is no plain text or number
    return ("dropdown", spec.template, frozen(spec.title), name, choices, value, translation.get_language())


def _form_filter_key(spec: Any) -> tuple[Any, ...] | None:
    """`_filter_key` of a date range filter or of an autocomplete filter with nothing chosen, worked out before its
    choice and form are built (two date fields, or a select2 widget with its queryset, on every page), or None.

    The same key `_filter_key` makes from the built form: the choices Unfold's `choices()` builds are known from the
    filter's parameter, values and model field (tests/core/test_admin_changelist.py compares the two keys)."""
    from unfold.contrib.filters.admin import RangeDateFilter
    from unfold.contrib.filters.admin.mixins import AutocompleteMixin
    from unfold.contrib.filters.forms import AutocompleteDropdownForm, RangeDateForm

    built_by = type(spec).choices
    if built_by is RangeDateFilter.choices and spec.form_class is RangeDateForm:
        name = spec.parameter_name
        data = {f"{name}_{end}": spec.used_parameters.get(f"{name}_{end}", None) for end in ("from", "to")}
        fields: tuple[Any, ...] = (name,)
        form_class: type = RangeDateForm
    elif built_by is AutocompleteMixin.choices and spec.form_class is AutocompleteDropdownForm:
        multiple = getattr(spec, "multiple", False)
        if isinstance(multiple, bool) and multiple:
            return None
        name = spec.lookup_kwarg
        value = spec.value()
        if value not in (None, ""):
            return None  # a chosen row's text is read from the database: not kept
        data = {name: value}
        label = translation.gettext(" By %(filter_title)s ") % {"filter_title": spec.title}
        fields = (
            name,
            frozen(label),
            AutocompleteDropdownForm.field,
            AutocompleteDropdownForm.widget,
            spec.field.model._meta.label,
            spec.field.name,
            spec.model_admin.admin_site.name,
            get_script_prefix(),
        )
        form_class = AutocompleteDropdownForm
    else:
        return None
    if not isinstance(name, str):
        return None
    try:
        return (spec.template, frozen(spec.title), form_class, fields, frozen(data), translation.get_language())
    except TypeError:
        return None


def share_filter_renders() -> None:
    """Make the changelist's filters render once per form, values and language (called from CoreConfig.ready).

    A dropdown or text filter rendered five templates per page (its template, Unfold's field, label, errors and
    help text) plus the widget's, and the country dropdown 250 options, for the same few forms; a date range
    two widgets, an autocomplete its widget and its media; each render is now kept under everything it depends
    on (`_filter_key`). Other filters render as Django renders them.
    """
    from django.contrib.admin.templatetags import admin_list

    if getattr(admin_list.register.tags.get("admin_list_filter"), "shared", False):
        return

    def admin_list_filter(cl: Any, spec: Any) -> SafeString:
        key = _fixed_choices_key(cl, spec)
        kept = _FILTERS.get(key) if key is not None else None
        if kept is not None:
            return kept
        choices = list(spec.choices(cl))
        if key is None:
            key = _filter_key(spec, choices)
            kept = _FILTERS.get(key) if key is not None else None
            if kept is not None:
                return kept
        # As django.contrib.admin's admin_list_filter renders it.
        html = cast(
            SafeString,
            get_template(spec.template).render({"title": spec.title, "choices": choices, "spec": spec}),
        )
        if key is not None:
            keep(_FILTERS, key, html, _FILTERS_KEPT)
        return html

    admin_list.register.simple_tag(admin_list_filter, name="admin_list_filter")
    admin_list.register.tags["admin_list_filter"].shared = True


_INCLUSIONS: dict[tuple[Any, ...], SafeString] = {}
_INCLUSIONS_KEPT = 1024  # distinct (tag, model, values, language) renders; when full the table starts again


def _search_form_key(values: dict[str, Any]) -> tuple[Any, ...] | None:
    """What Unfold's admin/search_form.html reads of the changelist: whether it searches, whether it is a dataset's,
    the search, its help text and the filters it carries as hidden inputs."""
    cl = values["cl"]
    return (
        bool(cl.search_fields),
        bool(getattr(cl, "is_dataset", False)),
        values["search_var"],
        frozen(cl.query),
        frozen(cl.search_help_text),
        frozen(cl.filter_params),
    )


def _pagination_key(values: dict[str, Any]) -> tuple[Any, ...] | None:
    """What Unfold's admin/pagination.html (and pagination_default.html, paginator_number) reads of the changelist:
    the page links (each the page's filters with its number), the count and the model's names. A paginator with
    its own template or a changelist with a formset (a save button) is rendered every time."""
    cl = values["cl"]
    if getattr(cl.paginator, "template_name", None) or cl.formset:
        return None
    return (
        type(cl),
        bool(getattr(cl.model_admin, "list_fullwidth", False)),
        values["pagination_required"],
        frozen(values["show_all_url"]),
        frozen(list(values["page_range"])),
        cl.page_num,
        cl.paginator.num_pages,
        cl.result_count,
        frozen(cl.opts.verbose_name),
        frozen(cl.opts.verbose_name_plural),
        frozen(cl.filter_params),
    )


def _inclusion_keys() -> dict[Any, tuple[Any, str]]:
    """The admin's per-model inclusion tags kept: tag function -> (key of its values, the Unfold template whose
    reads the key holds). A project or app template in its place is rendered every time."""
    import unfold
    from django.contrib.admin.templatetags import admin_list

    templates = Path(unfold.__file__).resolve().parent / "templates" / "admin"
    return {
        admin_list.search_form: (_search_form_key, str(templates / "search_form.html")),
        admin_list.pagination: (_pagination_key, str(templates / "pagination.html")),
    }


def _forget_inclusions(**kwargs: Any) -> None:
    _INCLUSIONS.clear()  # a setting may change how numbers and texts are written


def share_admin_inclusions() -> None:
    """Make the changelist's search form and pagination render once per model, values and language (called from
    CoreConfig.ready).

    Django's `{% search_form cl %}` and `{% pagination cl %}` look their template up per model (three names, two
    misses) and render it on every page: the search box (~60 nodes, an include) and the pagination (a template
    per page link). Each reads only its tag's values and the changelist (`_search_form_key`, `_pagination_key`),
    not the request or the page's context; where the template found is Unfold's, its render is kept under the
    model, those values and the language.
    """
    from django.contrib.admin.templatetags.base import InclusionAdminNode
    from django.core.signals import setting_changed

    render = InclusionAdminNode.render
    if getattr(render, "shared", False):
        return
    kept_tags = _inclusion_keys()

    def render_inclusion(self: Any, context: Any) -> SafeString:
        kept_tag = kept_tags.get(self.func)
        if kept_tag is None:
            return render(self, context)
        key_of, template_file = kept_tag
        args, kwargs = self.get_resolved_arguments(context)
        opts = context["opts"]
        try:
            values = key_of(self.func(*args, **kwargs))
            key = (
                (self.func, opts.app_label, opts.model_name, context.autoescape, translation.get_language(), values)
                if values is not None
                else None
            )
        except TypeError:
            key = None  # a value that is no plain text, number or flag: rendered every time

        def from_expected_file() -> bool:
            origin = getattr(getattr(context.render_context.get(self), "origin", None), "name", None)
            return isinstance(origin, str) and str(Path(origin).resolve()) == template_file

        return cast(
            SafeString,
            render_kept(_INCLUSIONS, key, _INCLUSIONS_KEPT, lambda: render(self, context), from_expected_file),
        )

    render_inclusion.shared = True  # type: ignore[attr-defined]
    render_inclusion.__wrapped__ = render  # type: ignore[attr-defined]  # Django's, for the tests
    InclusionAdminNode.render = render_inclusion  # type: ignore[method-assign]
    setting_changed.connect(_forget_inclusions, dispatch_uid="core.admin_inclusions", weak=False)
