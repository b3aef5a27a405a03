"""Translations kept whole: no English left outside translate tags in our templates."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "crm").glob("*/templates"))]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))

# Regions whose text is translated ({% blocktranslate %}) or never shown ({% comment %}), removed whole.
SKIPPED_REGIONS = re.compile(r"{%\s*(blocktranslate|blocktrans|comment)\b.*?%}.*?{%\s*end\1\s*%}|{#.*?#}", re.DOTALL)
TEMPLATE_TOKEN = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
# A word people read: two letters or more. Symbols, numbers and template output are not words.
WORD = re.compile(r"[^\W\d_]{2,}")
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "label"}
# A literal sentence handed to an included template or a component (`with title="Some text"`).
LITERAL_ARGUMENT = re.compile(r"""\b(title|subtitle|label|text|help_text|placeholder)=(["'])([^"']*)\2""")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0
        self._icon = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        # Material Symbols icons are ligatures ("arrow_forward"): names, not words people read.
        if "material-symbols" in (dict(attrs).get("class") or ""):
            self._icon = True
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and WORD.search(value):
                self.found.append(f'{name}="{value.strip()}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden = max(self._hidden - 1, 0)
        self._icon = False

    def handle_data(self, data):
        if not self._hidden and not self._icon and WORD.search(data):
            self.found.append(" ".join(data.split()))


def untranslated_text(source: str) -> list[str]:
    """Text a reader would see that no translate tag covers."""
    source = SKIPPED_REGIONS.sub(" ", source)
    literal = [
        f"{m.group(1)}={m.group(2)}{m.group(3)}{m.group(2)}"
        for tag in TEMPLATE_TOKEN.findall(source)
        if tag.startswith("{%")
        for m in LITERAL_ARGUMENT.finditer(tag)
        if WORD.search(m.group(3))
    ]
    # Template tags and variables become a neutral mark, so HTML around them still parses as HTML.
    source = TEMPLATE_TOKEN.sub("0", source)
    collector = _TextCollector()
    collector.feed(source)
    collector.close()
    return literal + collector.found


def test_the_checker_finds_english_outside_translate_tags():
    source = "\n".join(
        [
            """{% load i18n %}<p>Hello {{ name }}</p>""",
            """<a title="Open it" href="{% url 'x' %}" class="px-3">{% translate "Ok" %}</a>""",
            """{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}{# note #}{% comment %}Skip{% endcomment %}""",
            """<script>const shown = "no";</script><td>{{ row.count }}</td><span>└ 42</span>""",
            """<span class="material-symbols-outlined">arrow_forward</span>""",
            """{% include "x.html" with title="Raw words" subtitle=_('Fine') %}""",
        ]
    )

    assert untranslated_text(source) == ['title="Raw words"', "Hello 0", 'title="Open it"']


def test_templates_are_found():
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_english_left_outside_translate_tags(path):
    assert untranslated_text(path.read_text()) == []


# Catalogs ------------------------------------------------------------------------------------------------------

polib = pytest.importorskip("polib")
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|%[sdr]|{\w+}")


def _catalog(language: str):
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")) or [])


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_of_the_catalog_is_translated_and_not_fuzzy(language):
    catalog = _catalog(language)

    assert [entry.msgid for entry in catalog.untranslated_entries()] == []
    assert [entry.msgid for entry in catalog.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalog.obsolete_entries()] == []
    assert catalog.metadata["Language"] == language


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_source(language):
    wrong = []
    for entry in _catalog(language).translated_entries():
        if entry.msgid_plural:
            allowed = set(_placeholders(entry.msgid) + _placeholders(entry.msgid_plural))
            texts = entry.msgstr_plural.values()
            wrong += [(entry.msgid, text) for text in texts if set(_placeholders(text)) - allowed]
        elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
            wrong.append((entry.msgid, entry.msgstr))

    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_up_to_date(language):
    """The .mo files are committed (a fresh clone needs no gettext); `make messages` compiles them."""
    source = _catalog(language)
    compiled = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def entries(catalog):
        return {
            (entry.msgctxt, entry.msgid): entry.msgstr or dict(entry.msgstr_plural)
            for entry in catalog.translated_entries()
        }

    assert entries(compiled) == entries(source)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_admin_theme_s_own_text_is_translated(language):
    """unfold ships no catalog for our languages: every string its templates translate must be in ours (or in
    Django's admin catalogs); crm/core/admin_theme_text.py lists the ones only we translate."""
    import unfold
    from django.utils.translation import trans_real

    root = Path(unfold.__file__).parent
    # Its own templates and the filters we use (not the contrib packages for libraries we do not install).
    templates = [*(root / "templates").rglob("*.html"), *(root / "contrib" / "filters").rglob("*.html")]
    used = {
        match.group(2)
        for path in templates
        for match in re.finditer(r"""{%\s*(?:trans|translate)\s+(['"])(.+?)\1""", path.read_text())
    }
    catalog = trans_real.translation(language)._catalog

    assert len(used) > 50
    assert sorted(text for text in used if text not in catalog) == []


def test_every_label_django_makes_up_for_our_models_is_listed_for_translation():
    """A new field or model needs `make messages` (it lists the label in crm/core/labels.py) and a translation."""
    from django.utils import translation

    from crm.core.i18n import automatic_labels
    from crm.core.labels import LABELS

    with translation.override(None):
        made_up = {text for _owner, _attribute, text in automatic_labels()}

    assert sorted(made_up - set(LABELS)) == []


def test_made_up_labels_follow_the_language():
    from django.utils import translation

    from crm.customers.models import Customer

    with translation.override("es"):
        assert str(Customer._meta.get_field("first_name").verbose_name) == "nombre"
        assert str(Customer._meta.verbose_name_plural) == "clientes"
    with translation.override("ar"):
        assert str(Customer._meta.get_field("kyc_status").verbose_name) == "حالة اعرف عميلك"
