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
