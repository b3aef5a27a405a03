"""Sales statuses (shared by leads and clients): create and change, each logged."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.exceptions import DomainError
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import SalesStatus
from crm.users.models import User

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
STATUS_FIELDS = ("name", "color", "sort_order")


def _clean(values: dict, *, exclude_pk: int | None = None) -> None:
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        taken = SalesStatus.objects.filter(name__iexact=values["name"])
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if not values["name"] or taken.exists():
            message = _("Required.") if not values["name"] else _("A sales status with this name exists.")
            raise DomainError(message, code="invalid_name", fields={"name": [message]})
    if "color" in values and not HEX_COLOUR.match(values["color"] or ""):
        raise DomainError(
            _("Not a colour."), code="invalid_color", fields={"color": [_("A hex colour such as #22c55e.")]}
        )


@transaction.atomic
def create_sales_status(*, name: str, color: str = "#64748b", sort_order: int = 0, actor: User | None) -> SalesStatus:
    """Create a sales status; its name must be new (case-insensitively) and its colour a hex colour."""
    values = {"name": name, "color": color, "sort_order": sort_order}
    _clean(values)
    status = SalesStatus.objects.create(**values)
    record_activity(actor=actor, action="sales_status.created", target=status)
    return status


@transaction.atomic
def update_sales_status(status: SalesStatus, *, actor: User | None, **values) -> SalesStatus:
    """Rename or recolour a sales status; leads and clients keep it."""
    unknown = set(values) - set(STATUS_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    status = SalesStatus.objects.select_for_update().get(pk=status.pk)
    _clean(values, exclude_pk=status.pk)
    before = snapshot(status, list(values))
    for name, value in values.items():
        setattr(status, name, value)
    status.save()
    changes = changed_fields(status, before)
    if changes:
        record_activity(actor=actor, action="sales_status.updated", target=status, changes=changes)
    return status
