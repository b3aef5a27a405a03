"""Changelist cells rendered once and shared (crm/core/admin_changelist.py) give the HTML Unfold gives."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from unfold import utils as unfold_utils
from unfold.templatetags import unfold_list

from crm.core import admin_changelist


def test_label_cells_are_shared_and_render_as_unfold_renders_them():
    label = {"approved": "success", "rejected": "danger"}
    admin_changelist._LABELS.clear()

    first = unfold_list.display_for_label("approved", "-", label)
    again = unfold_list.display_for_label("approved", "-", label)

    assert first == unfold_utils.display_for_label("approved", "-", label)
    assert again is first
    assert unfold_list.display_for_label("rejected", "-", label) == unfold_utils.display_for_label(
        "rejected", "-", label
    )


def test_lazy_label_text_is_shared_per_language():
    admin_changelist._LABELS.clear()
    text = _("Approved")

    with translation.override("es"):
        spanish = unfold_list.display_for_label(text, "-", True)
    with translation.override("en"):
        english = unfold_list.display_for_label(text, "-", True)

    assert "Aprobado" in spanish
    assert "Approved" in english


def test_unhashable_label_values_render_as_before():
    values = ["a", "b"]

    assert unfold_list.display_for_label(values, "-", True) == unfold_utils.display_for_label(values, "-", True)


def test_row_links_carry_the_same_filters_as_unfold_computes_them():
    from django.contrib.admin.templatetags.admin_urls import add_preserved_filters

    from crm.sales.models import Lead

    admin_changelist._ROW_LINK_SUFFIXES.clear()
    context = {"preserved_filters": "_changelist_filters=assigned%3Dall%26country%3DGB", "opts": Lead._meta}
    for pk in (1, 42, 1234567):
        url = f"/admin/sales/lead/{pk}/change/"
        assert unfold_list.add_preserved_filters(context, url) == add_preserved_filters(context, url)
        assert "country%3DGB" in unfold_list.add_preserved_filters(context, url)
    assert len(admin_changelist._ROW_LINK_SUFFIXES) == 1  # one computation for every row
    # Other URLs (with a query, or not a change link) go through Django's function.
    other = "/admin/sales/lead/?q=x"
    assert unfold_list.add_preserved_filters(context, other) == add_preserved_filters(context, other)


def test_dropdown_filter_options_render_as_django_renders_them():
    from django.test.html import parse_html
    from unfold.contrib.filters.forms import DropdownForm
    from unfold.widgets import UnfoldAdminSelectWidget

    choices = [("", "All"), ("GB", "United Kingdom"), ("FR", 'France <"&">'), ("Group", [("a", "A"), ("b", "B")])]
    form = DropdownForm(name="country", label="Country", choices=choices, data={"country": "FR"})
    plain = UnfoldAdminSelectWidget(attrs=None)
    plain.attrs = dict(DropdownForm.widget.attrs)
    plain.choices = form.fields["country"].choices

    fast = str(form["country"])

    assert isinstance(DropdownForm.widget, admin_changelist.OptionsInPythonSelect)
    assert parse_html(fast) == parse_html(plain.render("country", "FR", attrs={"id": "id_country"}))
    assert '<option value="FR" selected>France &lt;&quot;&amp;&quot;&gt;</option>' in fast
    assert '<optgroup label="Group"><option value="a">A</option>' in fast


@pytest.mark.django_db
def test_the_admin_app_list_is_built_when_read(rf):
    from django.contrib import admin
    from django.contrib.admin import AdminSite

    from tests.users.factories import UserFactory

    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)

    lazy = admin.site.get_app_list(request)

    assert list(lazy) == AdminSite.get_app_list(admin.site, request)
    assert len(lazy) > 0


def test_every_unfold_admin_has_empty_list_sections():
    # Unfold's results template reads it twice per row; missing, the template engine listed the admin's
    # attributes each time. Empty renders as missing did: no sections.
    from unfold.admin import ModelAdmin

    from crm.sales.admin.leads import LeadAdmin

    assert ModelAdmin.list_sections == ()
    assert LeadAdmin.list_sections == ()


def test_value_and_text_pairs_are_shared_too():
    # The clients' status and KYC columns return (value, text).
    label = {"active": "success", "banned": "danger"}
    admin_changelist._LABELS.clear()

    first = unfold_list.display_for_label(("active", "Active"), "-", label)

    assert first == unfold_utils.display_for_label(("active", "Active"), "-", label)
    assert unfold_list.display_for_label(("active", "Active"), "-", label) is first
    assert unfold_list.display_for_label(("banned", "Banned"), "-", label) == unfold_utils.display_for_label(
        ("banned", "Banned"), "-", label
    )


def _world(user) -> None:
    """One object or more behind most changelists: the access harness's builders, and the list_editable pages'."""
    from django.db import IntegrityError, transaction

    from tests.customers.factories import SalesStatusFactory
    from tests.harness.forbidden import FORBIDDEN, Victim
    from tests.payments.factories import PaymentMethodFactory
    from tests.sales.factories import AssignmentRuleFactory, LeadFactory

    victim = Victim()
    for forbidden in FORBIDDEN.values():
        try:
            with transaction.atomic():
                forbidden.build(victim)
        except IntegrityError:
            continue  # an object the victim has once (its portal account): made by an earlier builder
    PaymentMethodFactory()
    AssignmentRuleFactory()
    SalesStatusFactory()
    LeadFactory(sales_person=user)  # the leads page opens on "my leads"


@pytest.mark.django_db
def test_every_changelist_shows_the_cells_unfold_would_show(admin_client, admin_user):
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    _world(admin_user)
    compared, shown = 0, set()
    for model in admin.site._registry:
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        response = admin_client.get(url)
        if response.status_code != 200 or not response.context or "cl" not in response.context:
            continue
        cl = response.context["cl"]
        forms = cl.formset.forms if getattr(cl, "formset", None) else [None] * len(cl.result_list)
        for result, form in zip(cl.result_list, forms, strict=True):
            delattr(cl, admin_changelist._PLAN)  # worked out again, from this row's changelist
            ours = list(admin_changelist.items_for_result(cl, result, form))
            assert ours == list(admin_changelist._unfold_items_for_result(cl, result, form)), url
            compared += 1
            shown.add(model._meta.label)
    assert {"sales.Lead", "customers.Customer", "customers.SalesStatus", "payments.PaymentMethod"} <= shown
    assert compared > 100


def test_the_results_template_is_unfolds_with_the_written_rows_in_place_of_its_loop():
    # templates/admin/change_list_results.html copies Unfold's: a new Unfold release must be copied again.
    from pathlib import Path

    import unfold
    from django.conf import settings

    ours = (Path(settings.BASE_DIR) / "templates/admin/change_list_results.html").read_text()
    unfolds = (Path(unfold.__file__).parent / "templates/admin/change_list_results.html").read_text()
    comment = ours[ours.index("{% comment %}") : ours.index("{% endcomment %}") + len("{% endcomment %}\n")]
    written = "            {% if rows_html %}\n                {{ rows_html }}\n            {% else %}\n"
    loop_end = "            {% endfor %}\n            {% endif %}\n"
    include = "{% include 'unfold/helpers/change_list_headers.html' %}"
    headers = "{% if headers_html %}{{ headers_html }}{% else %}" + include + "{% endif %}"

    assert written in ours
    assert loop_end in ours
    assert headers in ours
    assert (
        ours.replace(comment, "")
        .replace(written, "")
        .replace(loop_end, "            {% endfor %}\n")
        .replace(headers, include)
        == unfolds
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_kept_header_rows_are_the_headers_unfold_builds_and_renders(admin_client, admin_user, monkeypatch, language):
    from django.urls import reverse

    from tests.customers.factories import CustomerFactory
    from tests.sales.factories import LeadFactory

    LeadFactory(sales_person=admin_user, email="x&y@example.com")
    CustomerFactory()
    leads, clients = reverse("admin:sales_lead_changelist"), reverse("admin:customers_customer_changelist")
    # Unsorted, sorted by one column either way, by two (a sort priority shown), with filters the links keep.
    urls = [leads, f"{leads}?o=2", f"{leads}?o=-3.2", f"{leads}?assigned=all&o=4&q=x%26y", clients, f"{clients}?o=-5"]

    def thead(response) -> str:
        html = response.content.decode()
        return html[html.index("<thead>") : html.index("</thead>") + len("</thead>")]

    admin_changelist._HEADERS_HTML.clear()
    admin_changelist._HEADER_BUILDS.clear()
    with translation.override(language):
        kept = [thead(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls * 2]
        # Unfold's headers, built and rendered on every page.
        monkeypatch.setattr(admin_changelist, "_headers_key", lambda data: None)
        monkeypatch.setattr(admin_changelist, "_header_build_key", lambda cl: None)
        rendered = [thead(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls]

    assert len(admin_changelist._HEADERS_HTML) == len(urls)
    assert len(admin_changelist._HEADER_BUILDS) == len(urls)
    assert kept == rendered * 2
    assert "Sorting priority: 2" in kept[2] or "prioridad" in kept[2].lower()
    assert "q=x%26y" in kept[3]


@pytest.mark.django_db
def test_written_rows_are_the_rows_unfolds_template_writes(admin_client, admin_user, monkeypatch):
    from django.test.html import parse_html
    from django.urls import reverse

    from tests.sales.factories import LeadFactory

    LeadFactory.create_batch(3, sales_person=admin_user)  # both stripes
    url = reverse("admin:sales_lead_changelist")

    def table(response) -> str:
        html = response.content.decode()
        start = html.index('<table id="result_list"')
        return html[start : html.index("</table>", start) + len("</table>")]

    written = admin_client.get(url)
    monkeypatch.setattr(admin_changelist, "_rows_html", lambda cl, context: None)
    looped = admin_client.get(url)

    assert written.context["rows_html"]
    assert not looped.context["rows_html"]
    assert "<!--rows " not in written.content.decode()  # the rows went in once the page was rendered
    assert parse_html(table(written)) == parse_html(table(looped))
    assert table(written).count('<tbody class="block relative lg:table-row-group') == 3


@pytest.mark.django_db
def test_kept_filter_renders_are_the_filters_django_renders(admin_client, admin_user, monkeypatch):
    import re

    from django.urls import reverse

    from tests.customers.factories import SalesStatusFactory
    from tests.sales.factories import DeskFactory

    SalesStatusFactory(name="Callback")
    DeskFactory(name="Berlin")
    changelist = reverse("admin:sales_lead_changelist")
    url = changelist + "?assigned=all&country__exact=DE"
    # A date range with a value and one that is not a date; an agent chosen in the autocomplete (not kept).
    dated = f"{changelist}?assigned=all&created_at_from=2024-01-02&updated_at_to=soon"
    dated += f"&sales_person__id__exact={admin_user.pk}"

    def filters(response) -> str:
        html = response.content.decode()
        start = html.index('id="filter-form"')
        panel = html[start : html.index("</form>", start)]
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", panel)

    admin_changelist._FILTERS.clear()
    first, kept = filters(admin_client.get(url)), filters(admin_client.get(url))
    first_dated, kept_dated = filters(admin_client.get(dated)), filters(admin_client.get(dated))
    monkeypatch.setattr(admin_changelist, "_filter_key", lambda spec, choices: None)
    monkeypatch.setattr(admin_changelist, "_fixed_choices_key", lambda cl, spec: None)
    rendered, rendered_dated = filters(admin_client.get(url)), filters(admin_client.get(dated))
    monkeypatch.undo()

    fixed = {key[5] for key in admin_changelist._FILTERS if key[0] == "fixed choices"}
    dropdowns = {key[3] for key in admin_changelist._FILTERS if key[0] == "dropdown"}
    links = {key[2] for key in admin_changelist._FILTERS if key[0] == "links"}
    kept_kinds = {
        key[2].__name__ for key in admin_changelist._FILTERS if key[0] not in ("fixed choices", "dropdown", "links")
    }
    assert fixed == {"country__exact"}  # looked up before its 250 choices are built
    # Dropdowns over lookups and over related rows are looked up before their forms are built.
    assert {"sales_status__id__exact", "desk__id__exact", "follow_up", "duplicate", "converted"} <= dropdowns
    assert {"SearchForm", "RangeDateForm", "AutocompleteDropdownForm"} <= kept_kinds
    assert links == {"AssignedFilter"}  # a filter of links ("My leads", "All leads I can see")
    assert first == kept == rendered
    assert first_dated == kept_dated == rendered_dated
    assert '<option value="DE" selected>' in kept
    assert 'value="2024-01-02"' in kept_dated
    assert str(admin_user) in kept_dated
    # A new choice is in the next page's filter: the kept render is under the choices it shows.
    SalesStatusFactory(name="Wrong number")
    assert "Wrong number" in filters(admin_client.get(url))


def _datetimes():
    import datetime
    import random

    rnd = random.Random(15)  # noqa: S311 - test data
    start = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC)
    moments = [
        start + datetime.timedelta(seconds=rnd.randrange(10**9), microseconds=rnd.randrange(10**6)) for _ in range(300)
    ]
    # Midnight, noon, on the hour and around a daylight saving change (Madrid, 29 March 2026).
    moments += [
        datetime.datetime(2026, 3, 29, hour, minute, tzinfo=datetime.UTC) for hour in range(24) for minute in (0, 30)
    ]
    return moments


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_datetime_cells_read_as_djangos_localized_datetimes(language):
    from django.utils import formats, timezone

    for zone in ("UTC", "Europe/Madrid", "Asia/Kolkata"):
        with timezone.override(zone), translation.override(language):
            for moment in _datetimes():
                assert admin_changelist._datetime_text(moment) == formats.localize(
                    timezone.template_localtime(moment)
                ), (zone, moment)


def test_kept_date_parts_make_every_date_format_as_django_makes_it():
    from django.utils import dateformat, timezone

    every_part = r"a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T U u w W y Y z Z \d\e \\ x"
    with timezone.override("Europe/Madrid"):
        for language in ("en", "es", "ar"):
            with translation.override(language):
                for moment in _datetimes():
                    local = timezone.localtime(moment)
                    assert admin_changelist._date_format(local, every_part, language) == dateformat.format(
                        local, every_part
                    ), moment


def test_rows_are_written_in_place_where_no_changelist_view_waits_for_them():
    from django.utils.safestring import SafeString

    rows = SafeString("<tbody><tr><td>1</td></tr></tbody>")

    assert admin_changelist._deferred({"request": object()}, rows) is rows
    assert admin_changelist._deferred({}, rows) is rows


@pytest.mark.django_db
def test_date_range_and_autocomplete_filters_are_looked_up_under_the_key_of_their_built_form(admin_client, admin_user):
    from django.urls import reverse

    changelist = reverse("admin:sales_lead_changelist")
    urls = [
        f"{changelist}?assigned=all",
        f"{changelist}?assigned=all&created_at_from=2024-01-02&updated_at_to=soon",
        f"{changelist}?assigned=all&sales_person__id__exact={admin_user.pk}",  # chosen: rendered every time
    ]
    looked_up = []
    for url in urls:
        cl = admin_client.get(url).context["cl"]
        for spec in cl.filter_specs:
            key = admin_changelist._form_filter_key(spec)
            if key is not None:
                assert key == admin_changelist._filter_key(spec, list(spec.choices(cl))), (url, spec)
                looked_up.append((url, key[2].__name__))

    kinds = {kind for _url, kind in looked_up}
    assert kinds == {"RangeDateForm", "AutocompleteDropdownForm"}
    assert (urls[2], "AutocompleteDropdownForm") not in looked_up


def _between(html: str, start: str, end: str) -> str:
    first = html.index(start)
    return html[first : html.index(end, first) + len(end)]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_kept_search_forms_and_paginations_are_djangos(admin_client, admin_user, monkeypatch, language):
    from django.contrib import admin
    from django.contrib.admin.templatetags.base import InclusionAdminNode
    from django.urls import reverse

    from crm.sales.models import Lead
    from tests.customers.factories import CustomerFactory
    from tests.sales.factories import LeadFactory

    LeadFactory.create_batch(14, sales_person=admin_user, first_name="Ann")
    CustomerFactory()
    monkeypatch.setattr(type(admin.site._registry[Lead]), "list_per_page", 1)  # 14 pages: elided page links
    leads, clients = reverse("admin:sales_lead_changelist"), reverse("admin:customers_customer_changelist")
    urls = [
        leads,
        f"{leads}?p=2",
        f"{leads}?p=9&o=-3",
        f"{leads}?assigned=all&q=Ann+%3Cb%3E&country__exact=DE",  # a search and filters kept as hidden inputs
        f"{leads}?assigned=all&q=Ann",
        f"{leads}?q=nobody",  # no page links
        clients,
        f"{clients}?q=x%26y",
    ]

    def parts(response) -> tuple[str, str]:
        html = response.content.decode()
        return _between(html, '<div id="toolbar">', "</form>"), _between(html, "lg:h-[64px]", 'class="py-4">')

    admin_changelist._INCLUSIONS.clear()
    with translation.override(language):
        kept = [parts(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls * 2]
        monkeypatch.setattr(InclusionAdminNode, "render", InclusionAdminNode.render.__wrapped__)
        rendered = [parts(admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)) for url in urls]

    assert {key[0].__name__ for key in admin_changelist._INCLUSIONS} == {"search_form", "pagination"}
    assert len(admin_changelist._INCLUSIONS) == 2 * len(urls) - 1  # pages 1 and 2 carry the same search form
    assert kept == rendered * 2
    assert 'value="Ann &lt;b&gt;"' in kept[3][0]
    assert 'name="country__exact" value="DE"' in kept[3][0]
    assert "?o=-3&amp;p=10" in kept[2][1]
    assert "…" in kept[2][1]


@pytest.mark.django_db
def test_a_search_form_of_the_projects_own_is_rendered_every_time(admin_client, settings, tmp_path):
    from django.urls import reverse

    own = tmp_path / "admin" / "sales" / "lead"
    own.mkdir(parents=True)
    (own / "search_form.html").write_text("<p>own search {{ cl.query }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    url = reverse("admin:sales_lead_changelist") + "?q=abc"

    admin_changelist._INCLUSIONS.clear()
    assert "<p>own search abc</p>" in admin_client.get(url).content.decode()
    assert "<p>own search abc</p>" in admin_client.get(url).content.decode()
    assert {key[0].__name__ for key in admin_changelist._INCLUSIONS} == {"pagination"}
