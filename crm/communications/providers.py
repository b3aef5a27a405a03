"""Which email provider sends, with what credentials: the settings store, switchable at run time.

`email.provider` names it: `default` (Django's `EMAIL_BACKEND`: the console in the embedded default, `EMAIL_URL`
when set), `smtp`, `sendgrid`, `mailgun` or `brevo` (the last three through django-anymail). Each provider's
fields are the seed's (000 Settings #235-238); secrets (API keys, SMTP password, webhook secrets) are stored
encrypted and never answered back, only whether they are set.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.services import get_setting

PREFIX = "email."


class Provider(models.TextChoices):
    DEFAULT = "default", _("Built-in (console, or EMAIL_URL)")
    SMTP = "smtp", _("SMTP server")
    SENDGRID = "sendgrid", _("SendGrid")
    MAILGUN = "mailgun", _("Mailgun")
    BREVO = "brevo", _("Brevo")


@dataclass(frozen=True)
class Field:
    name: str
    value_type: str = "string"
    is_secret: bool = False
    required: bool = True


_COMMON = (Field("sender"), Field("staff_email"))
_WEBHOOK = (Field("webhook_secret", is_secret=True, required=False),)
_API_URL = Field("api_url", required=False)
FIELDS: dict[str, tuple[Field, ...]] = {
    Provider.DEFAULT: (Field("sender", required=False), Field("staff_email", required=False)),
    Provider.SMTP: (
        *_COMMON,
        Field("host"),
        Field("port", value_type="integer"),
        Field("username"),
        Field("password", is_secret=True),
        Field("secure", value_type="boolean"),
    ),
    Provider.SENDGRID: (
        *_COMMON,
        Field("api_key", is_secret=True),
        *_WEBHOOK,
        Field("webhook_verification_key", required=False),
        _API_URL,
    ),
    Provider.MAILGUN: (
        *_COMMON,
        Field("api_key", is_secret=True),
        Field("domain"),
        Field("username"),
        Field("webhook_signing_key", is_secret=True, required=False),
        *_WEBHOOK,
        _API_URL,
    ),
    Provider.BREVO: (*_COMMON, Field("api_key", is_secret=True), *_WEBHOOK, _API_URL),
}
ANYMAIL_BACKENDS: dict[str, str] = {
    Provider.SENDGRID: "anymail.backends.sendgrid.EmailBackend",
    Provider.MAILGUN: "anymail.backends.mailgun.EmailBackend",
    Provider.BREVO: "anymail.backends.brevo.EmailBackend",
}


def key(provider: str, name: str) -> str:
    """The settings-store key of one field: shared ones (`email.sender`) or the provider's (`email.smtp.host`)."""
    if name in ("sender", "staff_email"):
        return f"{PREFIX}{name}"
    return f"{PREFIX}{provider}.{name}"


def current_provider() -> str:
    value = str(get_setting(f"{PREFIX}provider", Provider.DEFAULT) or Provider.DEFAULT)
    return value if value in Provider.values else Provider.DEFAULT


def value(provider: str, name: str, default: Any = "") -> Any:
    return get_setting(key(provider, name), default)


def sender() -> str:
    return str(value(current_provider(), "sender") or settings.DEFAULT_FROM_EMAIL)


def staff_email() -> str:
    return str(value(current_provider(), "staff_email") or "")


def connection() -> tuple[str, BaseEmailBackend]:
    """The provider's name and a backend connection for it, built from the stored settings."""
    provider = current_provider()
    if provider == Provider.DEFAULT:
        return provider, get_connection(fail_silently=False)
    if provider == Provider.SMTP:
        secure = bool(value(provider, "secure", False))
        port = int(value(provider, "port", 587))
        return provider, get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            fail_silently=False,
            host=value(provider, "host"),
            port=port,
            username=value(provider, "username"),
            password=value(provider, "password"),
            # Port 465 speaks TLS from the first byte; other ports upgrade with STARTTLS.
            use_ssl=secure and port == 465,
            use_tls=secure and port != 465,
            timeout=30,
        )
    options: dict[str, Any] = {"api_key": value(provider, "api_key")}
    if provider == Provider.MAILGUN:
        options["sender_domain"] = value(provider, "domain")
    if api_url := value(provider, "api_url"):
        options["api_url"] = api_url
    with warnings.catch_warnings():
        # anymail warns that SendGrid support is community-maintained; the backend itself is unchanged.
        warnings.simplefilter("ignore")
        backend = get_connection(ANYMAIL_BACKENDS[provider], fail_silently=False, **options)
    return provider, backend


def public_settings() -> dict[str, Any]:
    """The chosen provider and every stored field of every provider, secrets as `<name>_set` booleans."""
    result: dict[str, Any] = {"provider": current_provider()}
    for provider, fields in FIELDS.items():
        if provider == Provider.DEFAULT:
            continue
        section: dict[str, Any] = {}
        for field in fields:
            if field.name in ("sender", "staff_email"):
                continue
            stored = value(provider, field.name, None)
            if field.is_secret:
                section[f"{field.name}_set"] = bool(stored)
            else:
                section[field.name] = stored
        result[provider] = section
    result["sender"] = str(get_setting(key("", "sender"), "") or "")
    result["staff_email"] = str(get_setting(key("", "staff_email"), "") or "")
    return result
