"""Which language a request or an email is in.

The languages the product speaks are `settings.LANGUAGES` (English, Spanish, Arabic). A staff member's
language (`User.language`) applies to the admin and to the back-office API through a staff session; a client's
(`Customer.language`, the communication language) to portal and affiliate API answers and to the emails the
client gets. A caller with no language of ours (anonymous, API tokens, a client whose language has no
translation) gets the best match of `Accept-Language`, else `LANGUAGE_CODE`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy


def supported_language(code: str | None) -> str | None:
    """The language of `settings.LANGUAGES` serving `code` ("es-MX" -> "es"), or None when none does."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def language_or_default(code: str | None) -> str:
    """`code` when we speak it, else the default language: for what is written outside a request (emails)."""
    return supported_language(code) or settings.LANGUAGE_CODE


def activate_for_request(request: HttpRequest, code: str | None) -> None:
    """Answer this request in `code` when we speak it; otherwise keep what `Accept-Language` chose."""
    language = supported_language(code)
    if language is None:
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language
    # DRF's Request wraps the HttpRequest: keep both views of the language in step.
    inner = getattr(request, "_request", None)
    if inner is not None:
        inner.LANGUAGE_CODE = language


def automatic_labels() -> list[tuple[object, str, str]]:
    """(owner, attribute, text) of every label Django made up for our models: a field's name with spaces ("kyc
    status") and a model's class name with spaces ("customer", "customers") where the code names none."""
    from django.apps import apps

    labels: list[tuple[object, str, str]] = []
    for model in apps.get_models():
        if not model.__module__.startswith("crm."):
            continue
        opts = model._meta
        for attribute in ("verbose_name", "verbose_name_plural"):
            if attribute not in opts.original_attrs:
                labels.append((opts, attribute, str(getattr(opts, attribute))))
        for field in [*opts.local_fields, *opts.local_many_to_many]:
            if field._verbose_name is None:  # type: ignore[attr-defined]  # private to Django, absent from the stubs
                labels.append((field, "verbose_name", str(field.verbose_name)))
    return labels


def translate_automatic_labels() -> None:
    """Make the labels Django made up translatable, so admin columns, fields and titles follow the language.

    The texts are listed for `makemessages` in crm/core/labels.py (`python scripts/messages.py labels` writes it).
    Migrations read the verbose names written in the code, not these, so nothing changes in them; permission
    names are made in no language (`verbose_name_raw`) and stay English.
    """
    for owner, attribute, text in automatic_labels():
        setattr(owner, attribute, gettext_lazy(text))
