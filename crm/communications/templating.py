"""The template language of email templates: Jinja2 in a sandbox, every variable declared by the trigger.

No code runs from a template: the sandbox refuses attribute access to internals and calls of unsafe callables,
`StrictUndefined` turns a missing variable into an error, the `money` filter shows an amount with its
currency in the product's money format (`{{ amount|money(currency) }}`), and `check_template` rejects, at save
time, any name that the trigger's catalogue entry does not offer. The MJML body is rendered with HTML escaping,
subject and text without; MJML is compiled to HTML by mjml-python (the MJML engine in Rust, no Node at run time).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

import mjml
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, Template, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from crm.core.money import MoneyError, format_money


def money(value: object, currency: object = "") -> str:
    """An amount in the product's one money format (`crm.core.money.format_money`):
    `{{ amount|money(currency) }}` -> `1,234.50 USD`. Without a currency the amount shows the default minor units
    and no code; a value that is not an amount shows as it is."""
    try:
        return format_money(str(value), str(currency or "")).rstrip()
    except MoneyError:
        return str(value)


def linebreaks_html(value: object) -> Markup:
    """A text's line breaks kept in HTML (`{{ body|linebreaks }}`), the text escaped; plain text keeps it as is."""
    return Markup("<br />").join(escape(str(value)).split("\n"))


_text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
for _env in (_text_env, _html_env):
    _env.filters["money"] = money
_text_env.filters["linebreaks"] = str
_html_env.filters["linebreaks"] = linebreaks_html


class TemplateProblem(ValueError):
    """A template that cannot be parsed, compiled or rendered; `str()` says why, for the field error."""


def _used_names(source: str) -> set[str]:
    """Every variable a template reads, dotted one level for attribute access (`customer.first_name`)."""
    ast = _text_env.parse(source)
    names = set(meta.find_undeclared_variables(ast))
    dotted = {
        f"{node.node.name}.{node.attr}"
        for node in ast.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name in names
    }
    return names | dotted


def check_template(source: str, variables: Iterable[str]) -> list[str]:
    """The problems of one template source against the trigger's variables (empty when it is fine)."""
    if not source:
        return []
    try:
        used = _used_names(source)
    except TemplateError as exc:
        return [_("Syntax error: %(error)s") % {"error": exc}]
    allowed = set(variables)
    roots = {name.split(".", 1)[0] for name in allowed}
    unknown = sorted(
        name
        for name in used
        if ("." in name and name not in allowed and name.split(".", 1)[0] in roots)
        or ("." not in name and name not in allowed and name not in roots)
    )
    if unknown:
        return [_("Unknown variables: %(names)s.") % {"names": ", ".join(unknown)}]
    return []


def check_mjml(source: str) -> list[str]:
    """Problems compiling the MJML body (the variables left as they are)."""
    if not source:
        return []
    try:
        mjml.mjml2html(source)
    except ValueError as exc:  # what the MJML engine raises on a document it cannot parse
        return [_("Invalid MJML: %(error)s") % {"error": exc}]
    return []


@lru_cache(maxsize=512)
def _text_template(source: str) -> Template:
    """A subject or text source parsed once, for every email it fills."""
    return _text_env.from_string(source)


# A tag of the template language ({{ ... }}, {% ... %}, {# ... #}), and the plain word that stands for it while the
# MJML is compiled (MJML leaves words alone, in text and in attribute values).
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARK = "zqjinja{}qz"


@lru_cache(maxsize=512)
def compiled_html(mjml_source: str) -> str | None:
    """The MJML body compiled to HTML once, its template tags kept (a template source whose values are to be
    HTML-escaped), or None when it cannot be compiled before it is filled.

    Each tag is swapped for a marker word, the MJML compiled and the tags put back; when the markers do not come
    back each exactly once and in order (a tag between MJML elements, which MJML drops or repeats), None: such a
    body is filled first and compiled for each email."""
    if not mjml_source or "zqjinja" in mjml_source:
        return None
    tags = _TAG.findall(mjml_source)
    counter = iter(range(len(tags)))
    marked = _TAG.sub(lambda _found: _MARK.format(next(counter)), mjml_source)
    try:
        compiled = str(mjml.mjml2html(marked))
    except ValueError:
        return None
    found = re.findall(r"zqjinja(\d+)qz", compiled)
    if found != [str(index) for index in range(len(tags))]:
        return None
    html = re.sub(r"zqjinja(\d+)qz", lambda mark: tags[int(mark.group(1))], compiled)
    try:
        _html_env.parse(html)
    except TemplateError:
        return None
    return html


@lru_cache(maxsize=512)
def _html_template(html_source: str) -> Template:
    """A compiled HTML body (`compiled_html`) parsed once, for every email it fills."""
    return _html_env.from_string(html_source)


# A value a template prints: a name, or a name and the field of it (`customer.first_name`).
_Slot = tuple[str, ...]


@lru_cache(maxsize=1024)
def _printed_parts(source: str, env: SandboxedEnvironment) -> tuple[str | _Slot, ...] | None:
    """A template that only prints values (`{{ name }}`, `{{ name.field }}`) as its parts: its text as Jinja reads
    it in `env` and the values it prints, in order. None when it does anything else (a filter, a condition, a
    loop, `self`, a field that is also a method of a dict) or does not parse: Jinja renders such a template."""
    try:
        tree = env.parse(source)
    except TemplateError:
        return None
    parts: list[str | _Slot] = []
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
            elif isinstance(node, nodes.Name) and node.name != "self":
                parts.append((node.name,))
            elif (
                isinstance(node, nodes.Getattr)
                and isinstance(node.node, nodes.Name)
                and node.node.name != "self"
                and not hasattr(dict, node.attr)
            ):
                parts.append((node.node.name, node.attr))
            else:
                return None
    return tuple(parts)


def _fill_parts(parts: tuple[str | _Slot, ...], context: Mapping[str, Any], show: Callable[[Any], str]) -> str | None:
    """The parts joined, each value shown as Jinja shows it (`markupsafe.escape` with autoescape, else `str`): what
    Jinja renders. None when a value is not there to print as is (missing, or a field of something other than a
    plain dict): Jinja renders the template, and says what is wrong."""
    filled = []
    for part in parts:
        if isinstance(part, str):
            filled.append(part)
            continue
        name = part[0]
        if name not in context:
            return None
        value = context[name]
        if len(part) == 2:
            if type(value) is not dict or part[1] not in value:
                return None
            value = value[part[1]]
        filled.append(show(value))
    return "".join(filled)


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render subject or text; TemplateProblem when it fails (a variable missing at send time).

    A source that only prints values is rendered by joining its parts (parsed once) with the values, what Jinja
    renders without a template context per email; any other source, or a value missing, goes through Jinja."""
    parts = _printed_parts(source, _text_env)
    if parts is not None:
        filled = _fill_parts(parts, context, str)
        if filled is not None:
            return filled
    try:
        return _text_template(source).render(context)
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from exc


def render_html(mjml_source: str, context: Mapping[str, Any]) -> str:
    """Render the MJML body with the values HTML-escaped, as HTML (compiled once per body when it can be)."""
    if not mjml_source:
        return ""
    compiled = compiled_html(mjml_source)
    if compiled is not None:
        return fill_html(compiled, context)
    try:
        filled = _html_env.from_string(mjml_source).render(context)
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from exc
    try:
        return str(mjml.mjml2html(filled))
    except ValueError as exc:  # what the MJML engine raises on a document it cannot parse
        raise TemplateProblem(str(exc)) from exc


def fill_html(html_source: str, context: Mapping[str, Any]) -> str:
    """A compiled HTML body (`compiled_html`) filled with the values, HTML-escaped; TemplateProblem when it fails.

    A body that only prints values is filled by joining its parts (parsed once) with the escaped values, the HTML
    Jinja renders, as `render_text` does."""
    parts = _printed_parts(html_source, _html_env)
    if parts is not None:
        filled = _fill_parts(parts, context, escape)
        if filled is not None:
            return filled
    try:
        return _html_template(html_source).render(context)
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from exc


def reads(source: str, name: str) -> bool:
    """Whether a subject or text source reads the variable `name` (a source that does not parse reads all)."""
    try:
        return name in {used.split(".", 1)[0] for used in _used_names(source)}
    except TemplateError:
        return True
