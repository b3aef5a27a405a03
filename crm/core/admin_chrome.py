"""The admin page around a changelist at the cost of what changes: pieces that render the same HTML for the same
inputs, rendered once per input.

- Unfold's `{% component %}` tag renders its template through `render_to_string` with the request (the context
  processors run again) for every button: the changelist's filter panel has three, the tab actions one, each a
  template of fifty nodes with two includes. A component whose template reads nothing but the values it is given
  (`PURE_COMPONENTS`) is rendered once per values, children and language: `share_component_renders`.
- The changelist's action select rendered a template per action: `share_action_select` gives it the select that
  writes its options in Python.
"""

from __future__ import annotations

from typing import Any, cast

from django.template.context import RequestContext
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString

# Component templates that read only the values the tag passes them (and its children), not the request or the
# context processors' variables: their HTML follows from those values and the language.
PURE_COMPONENTS = frozenset({"unfold/components/button.html"})
_COMPONENTS: dict[tuple[Any, ...], SafeString] = {}
_COMPONENTS_KEPT = 1024  # distinct (template, values, language); when full the table starts again


def keep(table: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """Keep `value` under `key` in one of the process's tables of kept renders; a table holding `limit` entries
    starts again (the renders are cheap to make again, and their inputs rarely number more than a few)."""
    if len(table) >= limit:
        table.clear()
    table[key] = value


def frozen(value: Any) -> Any:
    """A hashable stand-in for a value a kept render is made from (a component's values, a filter's choices and
    form data, the sidebar's user) that tells apart everything a render tells apart: a safe text
    from a plain one (only the second is escaped), a lazy text by its text in the language of the key."""
    if isinstance(value, SafeData) and isinstance(value, str):
        return (SafeData, str(value))
    if type(value) is str:
        return value
    if isinstance(value, Promise):
        return (Promise, str(value))
    if isinstance(value, bool | int | type(None)):
        return (type(value), value)
    if isinstance(value, dict):
        return (dict, tuple((key, frozen(part)) for key, part in value.items()))
    if isinstance(value, list | tuple):
        return (type(value), tuple(frozen(part) for part in value))
    raise TypeError(f"not kept for a render: {type(value).__name__}")


def share_component_renders() -> None:
    """Make Unfold's `{% component %}` render each pure component once per values (called from CoreConfig.ready)."""
    from unfold.templatetags.unfold import RenderComponentNode, _flatten_context

    render = RenderComponentNode.render
    if getattr(render, "shared", False):
        return

    def render_component(self: Any, context: Any) -> str:
        pure = self.template_name in PURE_COMPONENTS and not self.include_context
        if not pure or "component_class" in self.extra_context:
            return cast(str, render(self, context))
        # As RenderComponentNode.render builds its values and children.
        values = {name: var.resolve(context) for name, var in self.extra_context.items()}
        context_copy = context.new()
        context_copy.update(_flatten_context(context))
        context_copy.update(values)
        children = self.nodelist.render(context_copy)
        if len(children) > 0:
            values["children"] = children
        request = context.request if isinstance(context, RequestContext) else None
        try:
            key: tuple[Any, ...] | None = (self.template_name, frozen(values), translation.get_language())
        except TypeError:
            key = None  # a value that is no plain text, number or flag: rendered every time
        html = _COMPONENTS.get(key) if key is not None else None
        if html is None:
            html = render_to_string(self.template_name, request=request, context=values)
            if key is None:
                return html
            keep(_COMPONENTS, key, html, _COMPONENTS_KEPT)
        return html

    render_component.shared = True  # type: ignore[attr-defined]
    render_component.__wrapped__ = render  # type: ignore[attr-defined]  # Unfold's, for the tests
    RenderComponentNode.render = render_component


def share_action_select() -> None:
    """Give Unfold's changelist action form the select that writes its options in Python (`OptionsInPythonSelect`,
    as the dropdown filters have): an include per action otherwise (called from CoreConfig.ready)."""
    from unfold.forms import ActionForm  # type: ignore[attr-defined]  # not in stubs/unfold

    from crm.core.admin_changelist import OptionsInPythonSelect

    field = ActionForm.base_fields["action"]
    if isinstance(field.widget, OptionsInPythonSelect):
        return
    widget = OptionsInPythonSelect()
    widget.attrs = dict(field.widget.attrs)  # the same classes and Alpine binding
    widget.choices = field.widget.choices
    field.widget = widget
