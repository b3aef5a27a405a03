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
