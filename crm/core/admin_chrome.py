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
- The header line (title, links, a list's count, the bell: four URLs reversed), the buttons under a list's
  filters and the sidebar's search box rendered their templates on every page: `keep_page_includes` keeps their
  renders per values read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from django.template.context import RequestContext
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
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


def render_kept(
    table: dict[Any, Any], key: Any, limit: int, render: Callable[[], Any], from_expected_file: Callable[[], bool]
) -> Any:
    """A kept render: the one in `table` under `key`, else `render()`, kept when it came from the template file
    the key was made for (`from_expected_file`: an override elsewhere may read what the key does not hold).
    A None key renders every time."""
    html = table.get(key) if key is not None else None
    if html is None:
        html = render()
        if key is not None and from_expected_file():
            keep(table, key, html, limit)
    return html


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


_INCLUDES: dict[tuple[Any, ...], SafeString] = {}
_INCLUDES_KEPT = 1024  # distinct (template, values, language) renders; when full the table starts again
_PROJECT_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def _welcome_key(context: Any) -> tuple[Any, ...] | None:
    """What the project's header line (templates/unfold/helpers/welcomemsg.html, with Unfold's back button and
    `{% header_title %}`) reads of a list page's context: the sidebar and popup flags, the model's names and app
    (the title's links), the list's counts, the user's staff flag (the bell) and the URLs' prefix. A page of one
    object (a back button, the object in the title) is rendered every time."""
    if context.get("object") or context.get("original") or context.get("adminform"):
        return None
    opts = context.get("opts")
    request = context.get("request")
    if opts is None or request is None:
        return None
    cl = context.get("cl")
    counts = None
    if cl:
        counts = (
            cl.full_result_count,
            cl.result_count,
            type(cl.paginator).__name__,
            bool(cl.is_popup),
            bool(cl.show_full_result_count),
            frozen(getattr(cl.model_admin, "show_all_query", None)),
        )
    user = request.user
    return (
        bool(context.get("is_nav_sidebar_enabled")),
        bool(context.get("is_popup")),
        frozen(context.get("show_back_button")),
        getattr(request, "current_app", None),
        getattr(getattr(request, "resolver_match", None), "namespace", None),
        opts.app_label,
        opts.model_name,
        frozen(opts.app_config.verbose_name),
        frozen(opts.verbose_name_plural),
        counts,
        bool(user.is_authenticated and user.is_staff),
        get_script_prefix(),
        get_urlconf(),
    )


def _filter_actions_key(context: Any) -> tuple[Any, ...] | None:
    """What Unfold's buttons under a list's filters (unfold/helpers/change_list_filter_actions.html) read: the
    admin's two filter flags, whether counts can be shown and are, whether filters are active, and the three
    links (the page's filters without counts, with them, without filters)."""
    cl = context.get("cl")
    if cl is None:
        return None
    model_admin = cl.model_admin
    return (
        bool(getattr(model_admin, "list_filter_submit", False)),
        bool(getattr(model_admin, "list_filter_sheet", False)),
        bool(cl.is_facets_optional),
        bool(cl.add_facets),
        bool(cl.has_active_filters),
        frozen(cl.remove_facet_link),
        frozen(cl.add_facet_link),
        frozen(cl.clear_all_filters_qs),
    )


def _sidebar_search_key(context: Any) -> tuple[Any, ...] | None:
    """What Unfold's sidebar search box (unfold/helpers/search.html) reads: the two sidebar search settings,
    whether the browser is a Mac's (the shortcut shown) and where the search URL points."""
    request = context.get("request")
    if request is None:
        return None
    return (
        bool(context.get("sidebar_show_search")),
        bool(context.get("sidebar_command_search")),
        "Macintosh" in (request.META.get("HTTP_USER_AGENT") or ""),
        getattr(request, "current_app", None),
        getattr(getattr(request, "resolver_match", None), "namespace", None),
        get_script_prefix(),
        get_urlconf(),
    )


def _kept_includes() -> dict[str, tuple[Any, str]]:
    """Included templates kept: name -> (key of the context it reads, the file whose reads the key holds)."""
    import unfold

    unfold_templates = Path(unfold.__file__).resolve().parent / "templates"
    return {
        "unfold/helpers/welcomemsg.html": (_welcome_key, str(_PROJECT_TEMPLATES / "unfold/helpers/welcomemsg.html")),
        "unfold/helpers/change_list_filter_actions.html": (
            _filter_actions_key,
            str(unfold_templates / "unfold/helpers/change_list_filter_actions.html"),
        ),
        "unfold/helpers/search.html": (_sidebar_search_key, str(unfold_templates / "unfold/helpers/search.html")),
    }


def _forget_includes(**kwargs: Any) -> None:
    _INCLUDES.clear()  # a setting may change how numbers are written or where URLs point


def keep_page_includes() -> None:
    """Make the admin's header line (the page's title with its links, a list's count, the notifications bell), the
    buttons under a list's filters and the sidebar's search box render once per values (called from
    CoreConfig.ready).

    `{% include "unfold/helpers/welcomemsg.html" %}` rendered its template, the back button's and the title's on
    every page, with four URLs reversed; on a list page they read only what `_welcome_key` holds. The filters'
    buttons (`_filter_actions_key`) rendered a template and its components, the search box (`_sidebar_search_key`)
    a template, two includes and a URL. Where the file found is the one
    whose reads the key holds, its render is kept under those values and the language.
    """
    from django.core.signals import setting_changed
    from django.template.loader_tags import IncludeNode

    render = IncludeNode.render
    if getattr(render, "kept", False):
        return
    kept_includes = _kept_includes()

    def render_include(self: Any, context: Any) -> SafeString:
        name = self.template.var
        kept_include = kept_includes.get(name) if type(name) in (str, SafeString) else None
        if kept_include is None or self.template.filters or self.extra_context or self.isolated_context:
            return render(self, context)
        key_of, template_file = kept_include
        try:
            values = key_of(context)
            key = (name, context.autoescape, translation.get_language(), values) if values is not None else None
        except TypeError:
            key = None  # a value that is no plain text, number or flag: rendered every time

        def from_expected_file() -> bool:
            found = context.render_context.dicts[0].get(self, {})
            return {str(Path(template.origin.name).resolve()) for template in found.values()} == {template_file}

        return cast(
            SafeString,
            render_kept(_INCLUDES, key, _INCLUDES_KEPT, lambda: render(self, context), from_expected_file),
        )

    render_include.kept = True  # type: ignore[attr-defined]
    render_include.__wrapped__ = render  # type: ignore[attr-defined]  # Django's, for the tests
    IncludeNode.render = render_include  # type: ignore[method-assign]
    setting_changed.connect(_forget_includes, dispatch_uid="core.admin_includes", weak=False)
