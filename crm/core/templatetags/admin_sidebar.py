"""`{% sidebar_apps %}`: Unfold's sidebar links (unfold/helpers/app_list.html) rendered once per role, page and
language, for the project's copy of Unfold's navigation template."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.template import Engine
from django.template.context import Context
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from crm.core.admin_chrome import frozen, keep

register = template.Library()

APP_LIST = "unfold/helpers/app_list.html"
_RENDERS: dict[tuple[Any, ...], SafeString] = {}
_RENDERS_KEPT = 512  # distinct (links shown, active link, language); when full the table starts again


def _lazy_kinds() -> frozenset[type]:
    """The lazy texts of the navigation whose text follows from their arguments, the language and the script prefix
    alone: translations and the sidebar's admin links (each `lazy()` makes a class of its own)."""
    from django.utils.translation import gettext_lazy, pgettext_lazy

    from crm.core.admin_nav import admin_url, admin_url_with_query

    return frozenset(
        type(text)
        for text in (
            gettext_lazy("-"),
            pgettext_lazy("-", "-"),
            admin_url("admin:index"),
            admin_url_with_query("admin:index", ""),
        )
    )


_LAZY_KINDS: frozenset[type] | None = None


def _text(value: Any) -> Any:
    """What a title or link renders as, for the key: a translation or admin link by what makes it (its kind and
    arguments; the key holds the language and the script prefix), without translating or reversing it; any other
    lazy text as its text."""
    global _LAZY_KINDS
    if not isinstance(value, Promise):
        return value
    if _LAZY_KINDS is None:
        _LAZY_KINDS = _lazy_kinds()
    if type(value) in _LAZY_KINDS:
        return (type(value), value._args, tuple(sorted(value._kw.items())))  # type: ignore[attr-defined]
    return str(value)


def _key(context: Context) -> tuple[Any, ...] | None:
    """Everything the sidebar's links render from: each group's and link's text, icon, link, whether the user may
    follow it and whether it is the page's; None where a badge (a count of the moment) or the full application
    list is shown."""
    if context.get("sidebar_show_all_applications"):
        return None
    groups = []
    for group in context.get("sidebar_navigation") or ():
        if "badge" in group:
            return None
        items = []
        for item in group.get("items") or ():
            if "badge" in item or "items" in item:
                return None
            link = item.get("link_callback") or item.get("link")
            items.append(
                (
                    _text(item.get("title")),
                    item.get("icon"),
                    _text(link) if isinstance(link, Promise) else str(link) if link is not None else None,
                    bool(item.get("has_permission")),
                    bool(item.get("active")),
                )
            )
        groups.append(
            (_text(group.get("title")), bool(group.get("separator")), bool(group.get("collapsible")), tuple(items))
        )
    return (tuple(groups), translation.get_language(), get_script_prefix())


@register.simple_tag(takes_context=True)
def sidebar_apps(context: Context) -> SafeString:
    """What `{% include "unfold/helpers/app_list.html" with app_list=available_apps %}` writes."""
    from crm.core.admin_nav import KeptSidebarList

    navigation = context.get("sidebar_navigation")
    if isinstance(navigation, KeptSidebarList) and not context.get("sidebar_show_all_applications"):
        # A list kept for its permissions, page and script prefix: its links render the same in one language.
        language = translation.get_language()
        html = navigation.renders.get(language)
        if html is None:
            html = navigation.renders[language] = _render_links(context)
        return cast(SafeString, html)
    try:
        key = _key(context)
    except (TypeError, ValueError):
        key = None  # a link or title that is no text
    html = _RENDERS.get(key) if key is not None else None
    if html is None:
        html = _render_links(context)
        if key is not None:
            keep(_RENDERS, key, html, _RENDERS_KEPT)
    return html


def _render_links(context: Context) -> SafeString:
    engine = context.template.engine if context.template is not None else Engine.get_default()
    links = engine.get_template(APP_LIST)
    with context.push(app_list=context.get("available_apps")):
        return links.render(context)


USER_LINKS = "unfold/helpers/navigation_user.html"
_USER_RENDERS: dict[tuple[Any, ...], str] = {}
_USER_RENDERS_KEPT = 512  # distinct (user, settings, language); when full the table starts again
_CSRF_MARK = "\x00csrf-token\x00"  # stands for the request's CSRF token in a kept render
# What navigation_user.html and its includes (theme and language switches, account links, avatar) read of the
# context besides the user, the language and the CSRF token.
_USER_CONTEXT = (
    "extra_userlinks",
    "theme",
    "show_languages",
    "languages_list",
    "languages_action",
    "language_flags",
    "site_url",
    "account_links",
    "redirect_to",
    "size",
    "circle",
)


def _user_key(context: Context) -> tuple[Any, ...] | None:
    """Everything the sidebar's user block renders from, or None where it cannot be told (no request, another
    user object in the context than the request's, a value that is no plain text)."""
    from django.conf import settings

    request = context.get("request")
    user: Any = context.get("user")
    if request is None or getattr(request, "user", None) is not user or user is None:
        return None
    match = getattr(request, "resolver_match", None)
    return (
        type(user),
        user.pk,
        frozen(user.get_full_name()),
        frozen(user.get_username()),
        frozen(getattr(user, "email", None)),
        user.has_usable_password(),
        frozen(getattr(user, "avatar_url", None)),
        tuple(frozen(context.get(name)) for name in _USER_CONTEXT),
        translation.get_language(),
        frozen(list(settings.LANGUAGES)),
        get_script_prefix(),
        getattr(request, "current_app", None),
        match.namespace if match else None,
    )


@register.simple_tag(takes_context=True)
def sidebar_user(context: Context) -> SafeString:
    """What `{% include "unfold/helpers/navigation_user.html" %}` writes, rendered once per user, settings and
    language; the CSRF token of its forms (the same for every form of a page) is the request's."""
    token = str(context.get("csrf_token") or "")
    try:
        key = _user_key(context) if token and token != "NOTPROVIDED" else None  # noqa: S105 - Django's
    except TypeError:
        key = None
    kept = _USER_RENDERS.get(key) if key is not None else None
    if kept is not None:
        return SafeString(kept.replace(_CSRF_MARK, token))
    engine = context.template.engine if context.template is not None else Engine.get_default()
    html = engine.get_template(USER_LINKS).render(context)
    if key is not None and _CSRF_MARK not in html:
        keep(_USER_RENDERS, key, html.replace(token, _CSRF_MARK), _USER_RENDERS_KEPT)
    return html
