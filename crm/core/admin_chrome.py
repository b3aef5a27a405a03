"""The admin page around a changelist at the cost of what changes: pieces that render the same HTML for the same
inputs, rendered once per input.

- Unfold's `{% component %}` tag renders its template through `render_to_string` with the request (the context
  processors run again) for every button: the changelist's filter panel has three, the tab actions one, each a
  template of fifty nodes with two includes. A component whose template reads nothing but the values it is given
  (`PURE_COMPONENTS`) is rendered once per values, children and language: `share_component_renders`.
- The changelist's action select rendered a template per action: `share_action_select` gives it the select that
  writes its options in Python.
- The keys of kept renders hold lazy translations (filter titles, choices, button texts) by what they translate,
  not by their text: about thirty translations a page less (`frozen`).
- `{% static %}` went through the static files storage for each of a page's thirty styles and scripts:
  `keep_static_urls` works each path's URL out once per process and settings.
- Unfold merged its settings with its defaults again for each of the thirty values its `each_context` reads:
  `keep_unfold_settings` merges them once per settings object.
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


_TRANSLATIONS: frozenset[type] | None = None


def _translations() -> frozenset[type]:
    """The classes of Django's lazy translations (`gettext_lazy`, `pgettext_lazy`): their text follows from their
    arguments and the language alone."""
    global _TRANSLATIONS
    if _TRANSLATIONS is None:
        from django.utils.translation import gettext_lazy, pgettext_lazy

        _TRANSLATIONS = frozenset({type(gettext_lazy("-")), type(pgettext_lazy("-", "-"))})
    return _TRANSLATIONS


def frozen(value: Any) -> Any:
    """A hashable stand-in for a value a kept render is made from (a component's values, a filter's choices and
    form data, the sidebar's user) that tells apart everything a render tells apart: a safe text
    from a plain one (only the second is escaped), a lazy text by its text in the language of the key (every key
    holds its language): a lazy translation by what it translates, without translating it, any other by its text."""
    if isinstance(value, SafeData) and isinstance(value, str):
        return (SafeData, str(value))
    if type(value) is str:
        return value
    if isinstance(value, Promise):
        if type(value) in _translations():
            return (Promise, type(value), value._args, tuple(sorted(value._kw.items())))  # type: ignore[attr-defined]
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


_STATIC_URLS: dict[str, str] = {}
_STATIC_URLS_KEPT = 4096  # distinct static paths; when full the table starts again
# Settings a static file's URL is made from (the storage's location, URL and manifest; DEBUG: unhashed names).
_STATIC_SETTINGS = frozenset({"STATIC_URL", "STATIC_ROOT", "STORAGES", "DEBUG", "INSTALLED_APPS", "FORCE_SCRIPT_NAME"})


def _forget_static_urls(*, setting: str, **kwargs: Any) -> None:
    if setting in _STATIC_SETTINGS:
        _STATIC_URLS.clear()


def keep_static_urls() -> None:
    """Make `{% static %}` and `static()` work out each path's URL once per process (called from CoreConfig.ready).

    An admin page asks for about thirty (Unfold's styles and scripts), each through the static files storage:
    with the production storage, a lookup in its manifest, a name cleaned, split and joined. A URL follows from
    the path, the settings in `_STATIC_SETTINGS` (the table is emptied when one changes) and the manifest, which
    the storage reads once when it is made; a path whose URL cannot be made raises every time, as before.
    """
    from django.core.signals import setting_changed
    from django.templatetags.static import StaticNode

    handle = StaticNode.handle_simple
    if getattr(handle, "kept", False):
        return
    make = handle.__func__  # type: ignore[attr-defined]

    def handle_simple(cls: type[StaticNode], path: Any) -> str:
        url = _STATIC_URLS.get(path) if type(path) is str else None
        if url is None:
            url = cast(str, make(cls, path))
            if type(path) is str:
                keep(_STATIC_URLS, path, url, _STATIC_URLS_KEPT)
        return url

    handle_simple.kept = True  # type: ignore[attr-defined]
    handle_simple.__wrapped__ = make  # type: ignore[attr-defined]  # Django's, for the tests
    StaticNode.handle_simple = classmethod(handle_simple)  # type: ignore[assignment,method-assign]
    setting_changed.connect(_forget_static_urls, dispatch_uid="core.static_urls", weak=False)


_UNFOLD_SETTINGS: dict[str, tuple[Any, dict[str, Any]]] = {}


def keep_unfold_settings() -> None:
    """Make Unfold's admin site read its settings merged with Unfold's defaults once per settings object (called from
    CoreConfig.ready): `unfold.settings.get_config` copied the defaults and merged the project's settings into
    them for each of the thirty values `each_context` reads on every admin page. A new settings object (another
    `UNFOLD` dict, as a test's override makes) is merged again; Unfold's site changes what it reads as it did."""
    from django.conf import settings
    from unfold import sites

    merge = sites.get_config
    if getattr(merge, "kept", False):
        return

    def get_config(settings_name: str | None = None) -> dict[str, Any]:
        name = settings_name or "UNFOLD"
        current = getattr(settings, name, None)
        kept = _UNFOLD_SETTINGS.get(name)
        if kept is None or kept[0] is not current:
            kept = (current, merge(settings_name))
            _UNFOLD_SETTINGS[name] = kept
        return kept[1]

    get_config.kept = True  # type: ignore[attr-defined]
    get_config.__wrapped__ = merge  # type: ignore[attr-defined]  # Unfold's, for the tests
    sites.get_config = get_config
