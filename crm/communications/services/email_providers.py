"""Choosing the email provider and storing its settings (secrets encrypted in the settings store)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crm.communications import providers
from crm.core.exceptions import DomainError
from crm.core.services import set_setting
from crm.core.typing import PermissionHolder


@transaction.atomic
def configure_email_provider(provider: str, *, actor: PermissionHolder | None, **values: Any) -> str:
    """Store the provider's fields and make it the one that sends. Every required field must be given, except a
    secret already stored (left out, it is kept). Nothing is stored when a field is missing."""
    if provider not in providers.FIELDS:
        raise DomainError(_("Unknown provider."), code="invalid", fields={"provider": [_("Unknown provider.")]})
    fields = providers.FIELDS[provider]
    missing = [
        field.name
        for field in fields
        if field.required
        and values.get(field.name) in (None, "")
        and not (field.is_secret and providers.value(provider, field.name, None))
    ]
    if missing:
        raise DomainError(
            _("Some settings of this provider are missing."),
            code="invalid",
            fields={name: [_("This field is required.")] for name in missing},
        )
    for field in fields:
        given = values.get(field.name)
        if given is None or (field.is_secret and given == ""):
            continue
        set_setting(
            providers.key(provider, field.name),
            given,
            value_type=field.value_type,
            is_secret=field.is_secret,
            description=f"Email provider {provider}: {field.name}",
            actor=actor,
        )
    set_setting(f"{providers.PREFIX}provider", provider, value_type="string", is_secret=False, actor=actor)
    return provider
