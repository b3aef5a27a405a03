"""A trader's UI settings and layouts: partial updates, layouts created, replaced, renamed, reordered, deleted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from crm.core.exceptions import Conflict, DomainError
from crm.customers.models import Customer
from crm.trading.models import TraderLayout, TraderUiSettings

MAX_LAYOUTS = 50


class LayoutNotFound(DomainError):
    code = "not_found"
    status_code = 404


class InvalidLayouts(DomainError):
    code = "invalid_layouts"


class LayoutExists(Conflict):
    code = "layout_exists"


def ui_settings(customer: Customer) -> TraderUiSettings:
    """The client's settings (the defaults, unsaved, until they change one)."""
    return TraderUiSettings.objects.filter(customer=customer).first() or TraderUiSettings(customer=customer)


@transaction.atomic
def update_ui_settings(customer: Customer, **changes: Any) -> TraderUiSettings:
    """Change the given settings only; a selected layout must be one of the client's."""
    layout = changes.get("selected_layout_id")
    if layout and not TraderLayout.objects.filter(customer=customer, layout_id=layout).exists():
        raise InvalidLayouts("There is no such layout.", fields={"selectedLayoutId": ["Unknown layout."]})
    row, _ = TraderUiSettings.objects.select_for_update().get_or_create(customer=customer)
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def _lock(customer: Customer) -> None:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()


def _layout(customer: Customer, layout_id: str) -> TraderLayout:
    row = TraderLayout.objects.select_for_update().filter(customer=customer, layout_id=layout_id).first()
    if row is None:
        raise LayoutNotFound("There is no such layout.", fields={"id": ["Unknown layout."]})
    return row


@transaction.atomic
def create_layout(customer: Customer, *, layout_id: str, name: str, tabs: list[Any]) -> TraderLayout:
    """A new layout at the end of the client's list (at most MAX_LAYOUTS; an id already used is a 409)."""
    _lock(customer)
    layouts = TraderLayout.objects.filter(customer=customer)
    if layouts.filter(layout_id=layout_id).exists():
        raise LayoutExists("A layout with this id exists.", fields={"id": ["Already used."]})
    if layouts.count() >= MAX_LAYOUTS:
        raise InvalidLayouts(f"A client keeps at most {MAX_LAYOUTS} layouts.", fields={"id": ["Too many layouts."]})
    last = layouts.aggregate(last=Max("position"))["last"]
    return TraderLayout.objects.create(
        customer=customer, layout_id=layout_id, name=name, tabs=tabs, position=0 if last is None else last + 1
    )


@transaction.atomic
def replace_layout_tabs(customer: Customer, layout_id: str, *, tabs: list[Any]) -> TraderLayout:
    row = _layout(customer, layout_id)
    row.tabs = tabs
    row.save(update_fields=["tabs", "updated_at"])
    return row


@transaction.atomic
def rename_layout(customer: Customer, layout_id: str, *, name: str) -> TraderLayout:
    row = _layout(customer, layout_id)
    row.name = name
    row.save(update_fields=["name", "updated_at"])
    return row


@transaction.atomic
def delete_layout(customer: Customer, layout_id: str) -> None:
    """Delete a layout; a settings row selecting it selects none."""
    row = _layout(customer, layout_id)
    row.delete()
    TraderUiSettings.objects.filter(customer=customer, selected_layout_id=layout_id).update(selected_layout_id="")


@transaction.atomic
def reorder_layouts(customer: Customer, order: list[str]) -> None:
    """Put the client's layouts in this order; the list must name each of them exactly once."""
    _lock(customer)
    rows = {row.layout_id: row for row in TraderLayout.objects.filter(customer=customer)}
    if sorted(order) != sorted(rows):
        raise InvalidLayouts(
            "The order must name each of your layouts once.", fields={"layoutOrder": ["Not your layouts."]}
        )
    for position, layout_id in enumerate(order):
        rows[layout_id].position = position
    TraderLayout.objects.bulk_update(list(rows.values()), ["position"])
