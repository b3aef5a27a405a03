"""Compile the translation catalogs (locale/<lang>/LC_MESSAGES/django.po -> django.mo) without GNU gettext.

The compiled .mo files are committed, so a fresh clone serves every language with no build step; run
`make messages` after changing translatable text or models (it lists the models' automatic labels with
`scripts/messages.py labels`, extracts with `manage.py makemessages`, which needs GNU gettext's xgettext, then
compiles with this script). tests/test_translations.py fails when a .mo file is out of
date, an entry is untranslated or fuzzy, or a translation's placeholders differ from its source text's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def catalogs() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def compile_catalog(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return mo_path


LABELS = LOCALE.parent / "crm" / "core" / "labels.py"
LABELS_HEADER = '''"""Labels Django makes up for our models (a field's name with spaces, a model's class name),
listed so that `makemessages` puts them in the catalogs; crm.core.i18n.translate_automatic_labels translates
them at start-up. Written by `python scripts/messages.py labels` (`make messages` runs it);
tests/test_translations.py fails when a model's label is missing here.
"""

from django.utils.translation import gettext_noop

LABELS = [
'''


def write_labels() -> None:
    """crm/core/labels.py from the models as they are now."""
    import os

    import django

    sys.path.insert(0, str(LOCALE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    from django.utils import translation

    from crm.core.i18n import automatic_labels

    with translation.override(None):  # the labels' own (English) text
        texts = sorted({text for _owner, _attribute, text in automatic_labels()})
    body = "".join(f"    gettext_noop({json.dumps(text, ensure_ascii=False)}),\n" for text in texts)
    LABELS.write_text(LABELS_HEADER + body + "]\n")
    print(f"wrote {LABELS.relative_to(LOCALE.parent)} ({len(texts)} labels)")


def main() -> int:
    if sys.argv[1:] == ["labels"]:
        write_labels()
        return 0
    for po_path in catalogs():
        print(f"compiled {compile_catalog(po_path).relative_to(LOCALE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
