"""Changelist cells rendered once and shared (crm/core/admin_changelist.py) give the HTML Unfold gives."""

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
