"""Which countries the product serves: sign-up and profile forms accept only enabled ones."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from crm.core.services import record_activity
from crm.customers.models import Country
from crm.users.models import User


@transaction.atomic
def set_countries_enabled(codes: Iterable[str], *, enabled: bool, actor: User) -> list[str]:
    """Enable or disable the countries of `codes`; returns the codes that changed (logged as one activity)."""
    changed = sorted(
        str(code)
        for code in Country.objects.filter(code__in=list(codes))
        .exclude(is_enabled=enabled)
        .values_list("code", flat=True)
    )
    Country.objects.filter(code__in=changed).update(is_enabled=enabled)
    if changed:
        action = "country.enabled" if enabled else "country.disabled"
        record_activity(actor=actor, action=action, data={"countries": changed})
    return changed
