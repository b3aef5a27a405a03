"""Page pieces rendered once per input (crm/core/admin_chrome.py) give the HTML Unfold gives."""

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm.core import admin_chrome

BUTTON = '{% component "unfold/components/button.html" with '
BUTTONS = "{% load unfold %}" + "\n".join(
    (
        BUTTON + "submit=1 %}Apply{% endcomponent %}",
        BUTTON + 'href=url class="clearall grow" variant="default" %}{{ text }}{% endcomponent %}',
        BUTTON + "href=url title=title attrs=attrs %}<b>{{ text }}</b>{% endcomponent %}",
    )
)


@pytest.mark.parametrize(
    ("url", "text", "title", "attrs"),
    [
        ("?a=1&b=2", "Clear <all>", _("Apply Filters"), {"disabled": True}),
        (mark_safe("?a=1&amp;b=2"), mark_safe("Clear <i>all</i>"), "Plain & simple", {"data-x": "1", "hidden": False}),
        ("?a=1&b=2", "Clear <all>", "Plain & simple", {"disabled": True}),  # the same texts, not safe this time
    ],
)
def test_kept_component_renders_are_unfolds_renders(monkeypatch, url, text, title, attrs):
    from unfold.templatetags.unfold import RenderComponentNode

    template = engines["django"].from_string(BUTTONS)
    context = {"url": url, "text": text, "title": title, "attrs": attrs}
    request = RequestFactory().get("/")
    admin_chrome._COMPONENTS.clear()

    kept = template.render(context, request)
    again = template.render(context, request)
    monkeypatch.setattr(RenderComponentNode, "render", RenderComponentNode.render.__wrapped__)
    unfolds = template.render(context, request)

    assert kept == again == unfolds
    assert len(admin_chrome._COMPONENTS) == 3


def test_a_safe_and_a_plain_text_are_kept_apart():
    template = engines["django"].from_string(
        '{% load unfold %}{% component "unfold/components/button.html" with title=title %}x{% endcomponent %}'
    )
    admin_chrome._COMPONENTS.clear()

    plain = template.render({"title": "<b>"})
    safe = template.render({"title": mark_safe("<b>")})

    assert 'title="&lt;b&gt;"' in plain
    assert 'title="<b>"' in safe


def test_the_action_select_renders_as_unfolds_select():
    from django.test.html import parse_html
    from unfold.forms import ActionForm
    from unfold.widgets import UnfoldAdminSelectWidget

    from crm.core.admin_changelist import OptionsInPythonSelect

    choices = [("", "---------"), ("export", "Export <xlsx>"), ("assign_selected", _("Assign to a sales person"))]
    form, reference = ActionForm(auto_id=None), ActionForm(auto_id=None)
    unfolds = UnfoldAdminSelectWidget(attrs=None)
    unfolds.attrs = dict(ActionForm.base_fields["action"].widget.attrs)
    reference.fields["action"].widget = unfolds
    for each in (form, reference):
        each.fields["action"].choices = choices

    fast = str(form["action"])

    assert isinstance(ActionForm.base_fields["action"].widget, OptionsInPythonSelect)
    assert parse_html(fast) == parse_html(str(reference["action"]))
    assert '<option value="export">Export &lt;xlsx&gt;</option>' in fast
    assert 'x-model="action"' in fast


def test_lazy_translations_are_kept_by_what_they_translate_and_render_in_each_language(monkeypatch):
    from django.utils import translation
    from django.utils.functional import lazy
    from django.utils.translation import pgettext_lazy
    from unfold.templatetags.unfold import RenderComponentNode

    assert admin_chrome.frozen(_("Apply Filters")) == admin_chrome.frozen(_("Apply Filters"))
    assert admin_chrome.frozen(_("Apply Filters")) != admin_chrome.frozen(_("Clear all"))
    assert admin_chrome.frozen(pgettext_lazy("x", "Apply Filters")) != admin_chrome.frozen(_("Apply Filters"))
    assert admin_chrome.frozen(lazy(lambda: "other", str)()) == (admin_chrome.Promise, "other")  # any other: text
    monkeypatch.setattr(translation, "gettext", lambda message: pytest.fail("translated for a key"))
    admin_chrome.frozen(_("Apply Filters"))
    monkeypatch.undo()

    template = engines["django"].from_string(
        '{% load unfold %}{% component "unfold/components/button.html" with title=title %}x{% endcomponent %}'
    )
    admin_chrome._COMPONENTS.clear()
    kept = {}
    for language in ("en", "es", "en"):
        with translation.override(language):
            kept.setdefault(language, set()).add(template.render({"title": _("Apply Filters")}))
    monkeypatch.setattr(RenderComponentNode, "render", RenderComponentNode.render.__wrapped__)
    for language in ("en", "es"):
        with translation.override(language):
            assert kept[language] == {template.render({"title": _("Apply Filters")})}
    assert kept["en"] != kept["es"]


def test_kept_static_urls_are_the_storages_urls_and_follow_the_settings(settings):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.templatetags.static import static

    paths = ["core/admin.css", "unfold/css/styles.css", "reports/bell.js", "a b&c.css"]
    template = engines["django"].from_string("{% load static %}{% static path %}")
    admin_chrome._STATIC_URLS.clear()

    assert [static(path) for path in paths] == [staticfiles_storage.url(path) for path in paths]
    assert set(admin_chrome._STATIC_URLS) == set(paths)
    assert template.render({"path": "a b&c.css"}) == "/static/a%20b%26c.css"
    settings.STATIC_URL = "/assets/"
    assert not admin_chrome._STATIC_URLS
    assert static("core/admin.css") == staticfiles_storage.url("core/admin.css") == "/assets/core/admin.css"


@pytest.mark.django_db
def test_unfold_settings_merged_once_give_the_admin_context_unfold_gives(rf, admin_staff, settings, monkeypatch):
    from django.contrib import admin
    from unfold import sites

    def context(user):
        request = rf.get("/admin/")
        request.user = type(user).objects.get(pk=user.pk)
        values = admin.site.each_context(request)
        return {name: repr(value) for name, value in values.items() if name not in ("available_apps", "request")}

    kept = context(admin_staff)
    assert sites.get_config() is sites.get_config()  # merged once
    monkeypatch.setattr(sites, "get_config", sites.get_config.__wrapped__)
    assert kept == context(admin_staff)  # Unfold's merge on every read
    monkeypatch.undo()
    settings.UNFOLD = {**settings.UNFOLD, "SITE_TITLE": "Another title"}  # a new settings object: merged again
    retitled = context(admin_staff)
    monkeypatch.setattr(sites, "get_config", sites.get_config.__wrapped__)
    assert retitled == context(admin_staff)
    assert retitled["site_title"] == "'Another title'"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_kept_header_lines_are_the_ones_the_template_renders(admin_client, admin_user, monkeypatch, language):
    from django.contrib.admin.templatetags.admin_list import IS_POPUP_VAR
    from django.template.loader_tags import IncludeNode
    from django.urls import reverse

    from crm.core import admin_chrome
    from tests.customers.factories import CustomerFactory
    from tests.sales.factories import LeadFactory

    LeadFactory.create_batch(3, sales_person=admin_user, first_name="Ann")
    LeadFactory(first_name="Bob")
    CustomerFactory()
    leads, clients = reverse("admin:sales_lead_changelist"), reverse("admin:customers_customer_changelist")
    lead = LeadFactory(sales_person=admin_user)
    # Lists with and without a narrowed count (the "Show all" link keeps the leads' show-all query), a popup,
    # and a page of one object (rendered every time).
    urls = [
        leads,
        f"{leads}?assigned=all",
        f"{leads}?assigned=all&q=Ann",
        f"{leads}?q=Ann&{IS_POPUP_VAR}=1",
        clients,
        reverse("admin:sales_lead_change", args=[lead.pk]),
    ]

    def header(response) -> str:
        html = response.content.decode()
        start = html.index('<div class="flex flex-row grow font-semibold')
        return html[start : html.index('<div class="flex flex-row gap-4 items-center ml-auto">', start)]

    admin_chrome._INCLUDES.clear()
    with translation.override(language):
        kept = [header(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls * 2]
        monkeypatch.setattr(IncludeNode, "render", IncludeNode.render.__wrapped__)
        rendered = [header(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls]

    assert len([key for key in admin_chrome._INCLUDES if "welcomemsg" in key[0]]) == len(urls) - 1
    assert kept == rendered * 2
    assert "assigned=all" in kept[2]
    assert "data-admin-notifications" in kept[0]


@pytest.mark.django_db
def test_kept_filter_buttons_are_the_ones_the_template_renders(admin_client, monkeypatch):
    from django.template.loader_tags import IncludeNode
    from django.urls import reverse

    from crm.core import admin_chrome

    leads, clients = reverse("admin:sales_lead_changelist"), reverse("admin:customers_customer_changelist")
    # No filter, active filters (a "Clear all filters" link), counts shown (a "Hide counts" link), on two lists.
    urls = [leads, f"{leads}?assigned=all&country__exact=DE", f"{leads}?_facets=True&country__exact=DE", clients]
    urls += [f"{clients}?_facets=True"]

    def buttons(response) -> str:
        html = response.content.decode()
        start = html.index('<div class="flex flex-col grow gap-4 overflow-auto *:mb-0" data-simplebar')
        return html[start : html.index("</form>", start)]

    admin_chrome._INCLUDES.clear()
    kept = [buttons(admin_client.get(url)) for url in urls * 2]
    monkeypatch.setattr(IncludeNode, "render", IncludeNode.render.__wrapped__)
    rendered = [buttons(admin_client.get(url)) for url in urls]

    # The two lists without filters show the same buttons: one render.
    assert len([key for key in admin_chrome._INCLUDES if "filter_actions" in key[0]]) == len(urls) - 1
    assert kept == rendered * 2
    assert "clearall" in kept[1]
    assert "hidelink" in kept[2]


@pytest.mark.django_db
def test_kept_sidebar_search_boxes_are_the_ones_the_template_renders(admin_client, monkeypatch):
    from django.template.loader_tags import IncludeNode
    from django.urls import reverse

    from crm.core import admin_chrome

    pages = [reverse("admin:sales_lead_changelist"), reverse("admin:index"), reverse("admin:customers_customer_add")]
    browsers = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)"]

    def search_box(response) -> str:
        html = response.content.decode()
        start = html.index('<div class="mb-2.5 mx-3 relative"')
        return html[start : html.index("</kbd>", start) + 200]

    admin_chrome._INCLUDES.clear()
    visits = [(page, ua) for page in pages for ua in browsers]
    kept = [search_box(admin_client.get(page, HTTP_USER_AGENT=ua)) for page, ua in visits * 2]
    monkeypatch.setattr(IncludeNode, "render", IncludeNode.render.__wrapped__)
    rendered = [search_box(admin_client.get(page, HTTP_USER_AGENT=ua)) for page, ua in visits]

    assert len([key for key in admin_chrome._INCLUDES if key[0] == "unfold/helpers/search.html"]) == len(browsers)
    assert kept == rendered * 2
    assert reverse("admin:search") in kept[0]
