"""The sidebar's links are reversed once per process and script prefix (crm/core/admin_nav.py)."""

from django.urls import clear_script_prefix, reverse, set_script_prefix

from crm.core.admin_nav import admin_url, navigation


def sidebar_links() -> list[str]:
    return [str(item["link"]) for section in navigation for item in section["items"] if not callable(item["link"])]


def test_sidebar_links_are_the_admin_pages():
    links = sidebar_links()

    assert str(admin_url("admin:index")) == reverse("admin:index")
    assert reverse("admin:customers_customer_changelist") in links
    assert all(link.startswith("/admin/") for link in links)


def test_sidebar_links_follow_the_script_prefix():
    set_script_prefix("/backoffice/")
    try:
        links = sidebar_links()
    finally:
        clear_script_prefix()

    assert all(link.startswith("/backoffice/admin/") for link in links)
    assert all(link.startswith("/admin/") for link in sidebar_links())


def test_sidebar_renders_on_an_admin_page(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert reverse("admin:customers_customer_changelist") in response.content.decode()


def test_the_navigation_template_is_unfolds_with_the_kept_links():
    # templates/unfold/helpers/navigation.html copies Unfold's: a new Unfold release must be copied again.
    from pathlib import Path

    import unfold
    from django.conf import settings

    ours = (Path(settings.BASE_DIR) / "templates/unfold/helpers/navigation.html").read_text()
    unfolds = (Path(unfold.__file__).parent / "templates/unfold/helpers/navigation.html").read_text()
    comment = ours[ours.index("{% comment %}") : ours.index("{% endcomment %}") + len("{% endcomment %}\n")]
    include = '{% include "unfold/helpers/app_list.html" with app_list=available_apps %}'

    assert (
        ours.replace(comment, "")
        .replace("{% load i18n unfold admin_sidebar %}", "{% load i18n unfold %}")
        .replace("{% sidebar_apps %}", include)
        .replace("{% sidebar_user %}", '{% include "unfold/helpers/navigation_user.html" %}')
        == unfolds
    )


def _links(response) -> str:
    import re

    html = response.content.decode()
    start = html.index('id="nav-sidebar-apps"')
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html[start : html.index("</nav>", start)])


def test_kept_sidebar_links_are_the_links_unfold_renders_for_each_role(client, admin_staff, sales_agent, monkeypatch):
    from crm.core import admin_nav
    from crm.core.templatetags import admin_sidebar

    admin_nav._SIDEBAR_LISTS.clear()
    pages = {}
    for user in (admin_staff, sales_agent, admin_staff):
        client.force_login(user)
        for url in (reverse("admin:index"), reverse("admin:sales_lead_changelist")):
            pages.setdefault((user.pk, url), []).append(_links(client.get(url)))
    assert len(admin_nav._SIDEBAR_LISTS) == 4  # two roles, two pages
    assert all(len(kept.renders) == 1 for _navigation, kept in admin_nav._SIDEBAR_LISTS.values())
    # The links kept under a key of their own (a sidebar list that is not kept), then Unfold's render every time.
    monkeypatch.setattr(admin_nav, "_sidebar_key", lambda navigation, tabs, request: None)
    admin_sidebar._RENDERS.clear()
    for (user_pk, url), kept in pages.items():
        client.force_login(admin_staff if user_pk == admin_staff.pk else sales_agent)
        assert set(kept) == {_links(client.get(url))}, url
    assert len(admin_sidebar._RENDERS) == 4
    monkeypatch.setattr(admin_sidebar, "_key", lambda context: None)
    for (user_pk, url), kept in pages.items():
        client.force_login(admin_staff if user_pk == admin_staff.pk else sales_agent)
        assert set(kept) == {_links(client.get(url))}, url

    staff_link = reverse("admin:users_user_changelist")
    assert f'href="{staff_link}"' in pages[(admin_staff.pk, reverse("admin:index"))][0]
    assert f'href="{staff_link}"' not in pages[(sales_agent.pk, reverse("admin:index"))][0]


def _user_block(response) -> tuple[str, set[str]]:
    """The sidebar's user block (its CSRF tokens taken out) and the tokens its forms carry."""
    import re

    html = response.content.decode()
    start = html.index('x-data="{ openUserLinks: false }"')
    block = html[start : html.index("</nav>", html.index("unfold_more", start))]
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', block))
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", block), tokens


def test_kept_user_blocks_are_the_blocks_unfold_renders_with_the_requests_csrf_token(
    client, admin_staff, sales_agent, monkeypatch
):
    from django.middleware.csrf import _unmask_cipher_token
    from django.utils import translation

    from crm.core.templatetags import admin_sidebar

    admin_sidebar._USER_RENDERS.clear()
    url = reverse("admin:sales_lead_changelist")
    blocks = {}
    for user, language in ((admin_staff, "en"), (sales_agent, "en"), (admin_staff, "es"), (admin_staff, "en")):
        client.force_login(user)
        with translation.override(language):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        block, tokens = _user_block(response)
        blocks.setdefault((user.pk, language), []).append(block)
        cookie = client.cookies["csrftoken"].value
        assert len(tokens) == 1
        assert _unmask_cipher_token(tokens.pop()) == cookie  # the request's own token, valid with its cookie
    monkeypatch.setattr(admin_sidebar, "_user_key", lambda context: None)
    for (user_pk, language), kept in blocks.items():
        client.force_login(admin_staff if user_pk == admin_staff.pk else sales_agent)
        with translation.override(language):
            assert set(kept) == {_user_block(client.get(url, HTTP_ACCEPT_LANGUAGE=language))[0]}

    assert admin_staff.email in blocks[(admin_staff.pk, "en")][0]
    assert sales_agent.email in blocks[(sales_agent.pk, "en")][0]


def _sidebar(request) -> list:
    from django.contrib import admin

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(part) for key, part in value.items()}
        if isinstance(value, list):
            return [plain(part) for part in value]
        return str(value) if not isinstance(value, bool | type(None)) and not callable(value) else value

    return plain(admin.site.get_sidebar_list(request))


def test_quick_sidebar_checks_answer_as_unfold_does_for_each_user_and_page(
    rf, admin_staff, sales_agent, sales_manager, monkeypatch
):
    from django.contrib import admin
    from unfold.sites import UnfoldAdminSite

    from crm.core import admin_nav
    from crm.core.admin_nav import unfolds_sidebar_methods

    pages = [reverse("admin:index"), reverse("admin:sales_lead_changelist"), reverse("admin:users_user_changelist")]
    requests = []
    for user in (admin_staff, sales_manager, sales_agent):
        for page in pages:
            request = rf.get(page, {"assigned": "all"})
            request.user = type(user).objects.get(pk=user.pk)
            requests.append(request)
    admin_nav._SIDEBAR_LISTS.clear()
    ours = [_sidebar(request) for request in requests]
    kept = [_sidebar(request) for request in requests]  # each user's and page's list, kept from the first
    assert len(admin_nav._SIDEBAR_LISTS) == 9
    assert [admin.site.get_sidebar_list(request) for request in requests] == [
        kept for _navigation, kept in admin_nav._SIDEBAR_LISTS.values()
    ]
    for name, method in unfolds_sidebar_methods.items():
        monkeypatch.setattr(UnfoldAdminSite, name, method)
    for request in requests:
        request.user = type(request.user).objects.get(pk=request.user.pk)  # a fresh permission cache
    unfolds = [_sidebar(request) for request in requests]

    assert ours == kept == unfolds
    shown = [
        [item["title"] for group in sidebar for item in group["items"] if item["has_permission"]] for sidebar in ours
    ]
    assert "Staff" in shown[0]
    assert "Staff" not in shown[-1]
    assert [sum(item["active"] for group in sidebar for item in group["items"]) for sidebar in ours] == [1] * 9


def test_sidebar_key_tells_lazy_titles_and_links_apart_without_translating_them():
    from django.utils.functional import lazy
    from django.utils.translation import gettext_lazy, pgettext_lazy

    from crm.core.admin_nav import admin_url, admin_url_with_query
    from crm.core.templatetags.admin_sidebar import _text

    assert _text(gettext_lazy("Clients")) == _text(gettext_lazy("Clients"))
    assert _text(gettext_lazy("Clients")) != _text(gettext_lazy("Sales"))
    assert _text(pgettext_lazy("menu", "Clients")) != _text(gettext_lazy("Clients"))
    assert _text(admin_url("admin:index")) != _text(admin_url_with_query("admin:index", "?x=1"))
    assert _text(admin_url("admin:index")) != _text(gettext_lazy("admin:index"))
    assert _text(lazy(lambda: "other", str)()) == "other"  # any other lazy text: its text


def test_sidebar_permissions_read_once_answer_as_has_perms(rf, admin_staff, sales_agent, sales_manager):
    from django.contrib.auth.models import AnonymousUser

    from crm.core.admin_nav import has_perm, may_see_periodic_tasks, navigation

    checks = [item["permission"] for group in navigation for item in group["items"] if "permission" in item]
    assert len(checks) > 60
    inactive = type(sales_agent).objects.get(pk=sales_agent.pk)
    inactive.is_active = False
    for user in (admin_staff, sales_agent, sales_manager, inactive, AnonymousUser()):
        request = rf.get("/admin/")
        request.user = user
        ours = [check(request) for check in checks]
        fresh = type(user).objects.get(pk=user.pk) if user.pk else user
        if user is inactive:
            fresh.is_active = False
        request.user = fresh
        # Django's answer, the permission asked on the user for every link.
        djangos = [
            fresh.is_active and fresh.has_perms(check.__closure__[0].cell_contents)
            if check is not may_see_periodic_tasks
            else None
            for check in checks
        ]
        assert [answer for answer, django in zip(ours, djangos, strict=True) if django is not None] == [
            django for django in djangos if django is not None
        ], user
    assert has_perm("users.view_user")(_request(rf, admin_staff))
    assert not has_perm("users.view_user")(_request(rf, sales_agent))


def _request(rf, user):
    request = rf.get("/admin/")
    request.user = type(user).objects.get(pk=user.pk)
    return request
