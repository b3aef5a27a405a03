"""Small pieces shared by the clients admin pages."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm.core.files import signed_file_url
from crm.customers.privacy import mask_email, mask_phone

if TYPE_CHECKING:
    # The mixins of these pages are seen by the type checker as the ModelAdmin they are mixed into.
    ModelAdminBase = admin.ModelAdmin[Any]
else:
    ModelAdminBase = object

logger = logging.getLogger(__name__)

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_COLOUR = "#64748b"
PERSONAL_FIELDS = {"email": mask_email, "phone": mask_phone}

STATUS_LABELS = {"active": "success", "inactive": "info", "banned": "danger", "deleted": "warning"}
KYC_LABELS = {
    "not_started": "info",
    "pending": "warning",
    "approved": "success",
    "rejected": "danger",
    "revoked": "danger",
}
DOCUMENT_LABELS = {"new": "warning", "approved": "success", "rejected": "danger"}
DOCUMENT_COLOURS = {"new": "#f59e0b", "approved": "#22c55e", "rejected": "#ef4444"}


def safe_colour(value: str | None) -> str:
    return value if value and HEX_COLOUR.match(value) else DEFAULT_COLOUR


def colour_badge(text: str, colour: str | None) -> SafeString:
    """A pill in the given hex colour (anything that is not a hex colour falls back to grey)."""
    if type(text) is str and (colour is None or type(colour) is str):
        return _plain_colour_badge(text, colour)  # a list's few sales statuses, on every row
    return _colour_badge(text, colour)


@lru_cache(maxsize=512)
def _plain_colour_badge(text: str, colour: str | None) -> SafeString:
    return _colour_badge(text, colour)


def _colour_badge(text: str, colour: str | None) -> SafeString:
    return format_html(
        '<span class="inline-block font-semibold leading-normal px-2 py-0.5 rounded-default text-[11px] '
        'uppercase whitespace-nowrap" style="background-color:{}26;color:{}">{}</span>',
        safe_colour(colour),
        safe_colour(colour),
        text,
    )


def colour_swatch(colour: str | None) -> SafeString:
    return format_html(
        '<span class="inline-block rounded-full align-middle" style="width:14px;height:14px;background:{}"></span> '
        "<code>{}</code>",
        safe_colour(colour),
        colour or "",
    )


def signed_link_url(document, user) -> str:
    """A signed, short-lived URL of a private document for `user`, or "" when there is no file to link."""
    if not document.file:
        return ""
    try:
        return signed_file_url(document.file, user=user)
    except ValueError:  # a storage signed links are not made for
        logger.warning("No signed link for document %s", document.pk)
        return ""


def download_link(document, user) -> str:
    """A signed, short-lived link to a private document, or "-" when there is no file to link."""
    url = signed_link_url(document, user)
    if not url:
        return "-"
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Download"))


def masked_changes(changes: dict[str, Any], *, show_personal: bool) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for a history row, with emails and phones masked for staff who may not see them."""
    rows = []
    for field, values in (changes or {}).items():
        old, new = [*values, None, None][:2] if isinstance(values, list | tuple) else (None, values)
        if not show_personal and field in PERSONAL_FIELDS:
            mask = PERSONAL_FIELDS[field]
            old, new = mask(str(old or "")), mask(str(new or ""))
        rows.append((field, old, new))
    return rows
