"""Writes on client profiles: create, update, bulk update, agents, status and sales status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import DomainError, PermissionDenied
from crm.core.roles import fields_refused
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import (
    ClientGroup,
    ClientRole,
    ClientType,
    Customer,
    SalesStatus,
    VerificationLevel,
)
from crm.users.models import User

# Fields staff may set through create/update (the API and the admin form share this list).
EDITABLE_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "language",
    "date_of_birth",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "currency",
    "client_type",
    "risk_status",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "external_id",
    "introducer",
    "conversion_agent",
    "retention_agent",
    "sales_status",
]
RELATION_LISTS = ["roles", "groups"]


class EmailTaken(DomainError):
    code = "email_taken"
    status_code = 409


def check_field_rights(actor: User | None, names: Iterable[str]) -> None:
    """Refuse (403, naming them) the client fields a staff actor's roles may not change (`roles.FIELD_RIGHTS`)."""
    if actor is None or not actor.is_authenticated or not actor.is_staff:
        return
    refused = fields_refused(actor, "customers.customer", names)
    if refused:
        message = "Your role may not change this field."
        raise PermissionDenied(
            f"Your role may not change: {', '.join(refused)}.",
            code="field_not_permitted",
            fields={name: [message] for name in refused},
        )


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email_free(email: str, *, exclude_pk: int | None = None) -> None:
    taken = Customer.objects.filter(email__iexact=email)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise EmailTaken(_("A client with this email already exists."), fields={"email": [_("Already registered.")]})


def _check_agents(values: dict[str, Any]) -> None:
    for name in ("conversion_agent", "retention_agent"):
        agent = values.get(name)
        if agent is not None and not (agent.is_staff and agent.is_active and not agent.is_service_account):
            raise DomainError(
                _("Agents must be active staff members."),
                code="invalid_agent",
                fields={name: [_("Not an active staff member.")]},
            )


def _check_introducer(customer: Customer | None, introducer: Customer | None) -> None:
    if introducer is None or customer is None or customer.pk is None:
        return
    node: Customer | None = introducer
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == customer.pk:
            raise DomainError(
                _("A client cannot be introduced by themselves or their own referrals."),
                code="introducer_cycle",
                fields={"introducer": [_("Would create a referral loop.")]},
            )
        seen.add(node.pk)
        node = node.introducer


def _set_relation_lists(customer: Customer, values: dict[str, Any]) -> None:
    if "roles" in values:
        customer.roles.set(ClientRole.objects.filter(name__in=values["roles"]))
    if "groups" in values:
        groups = [ClientGroup.objects.get_or_create(name=name)[0] for name in values["groups"]]
        customer.groups.set(groups)


def _default_agent(values: dict[str, Any], actor: User | None) -> None:
    # An agent who sees only their own clients must not create a client they cannot see.
    if actor is None or not actor.is_authenticated or actor.is_service_account or not actor.is_staff:
        return
    if values.get("conversion_agent") or values.get("retention_agent"):
        return
    if not actor.has_perm("customers.view_all_customers"):
        values["conversion_agent"] = actor


@transaction.atomic
def create_customer(*, actor: User | None, check_rights: bool = True, **values: Any) -> Customer:
    """Create a client with the default client type and verification level; the email must be new.

    A staff member who sees only their own clients becomes the conversion agent when no agent is named.
    Fields the staff actor's roles may not change are refused unless a rule of ours sets them
    (`check_rights=False`).
    """
    unknown = set(values) - set(EDITABLE_FIELDS) - set(RELATION_LISTS) - {"registered_at", "status"}
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    if check_rights:
        check_field_rights(actor, values)
    values["email"] = normalize_email(values.get("email", ""))
    _check_email_free(values["email"])
    _check_agents(values)
    _default_agent(values, actor)
    relation_lists = {name: values.pop(name) for name in RELATION_LISTS if name in values}
    customer = Customer(**values)
    if customer.client_type_id is None:
        customer.client_type = ClientType.objects.filter(is_default=True).first()
    customer.verification_level = VerificationLevel.objects.filter(is_default=True).first()
    customer.full_clean(exclude=["user"])
    customer.save()
    _set_relation_lists(customer, relation_lists)
    record_activity(actor=actor, action="customer.created", target=customer)
    emit("customer.created", customer_id=customer.pk)
    return customer


@transaction.atomic
def update_customer(customer: Customer, *, actor: User | None, check_rights: bool = True, **values: Any) -> Customer:
    """Change a client's editable fields; the history keeps every old and new value.

    Fields the staff actor's roles may not change (`roles.FIELD_RIGHTS`) are refused with 403 and nothing
    changes, unless a rule of ours sets them (`check_rights=False`: lead conversion, partner sign-up routing).
    """
    unknown = set(values) - set(EDITABLE_FIELDS) - set(RELATION_LISTS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    if check_rights:
        check_field_rights(actor, values)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if "email" in values:
        values["email"] = normalize_email(values["email"])
        _check_email_free(values["email"], exclude_pk=customer.pk)
    _check_agents(values)
    _check_introducer(customer, values.get("introducer"))
    tracked = [name for name in values if name in EDITABLE_FIELDS] + [n for n in RELATION_LISTS if n in values]
    before = snapshot(customer, tracked)
    for name, value in values.items():
        if name in EDITABLE_FIELDS:
            setattr(customer, name, value)
    customer.full_clean(exclude=["user"])
    customer.save()
    _set_relation_lists(customer, values)
    changes = changed_fields(customer, before)
    if changes:
        record_activity(actor=actor, action="customer.updated", target=customer, changes=changes)
        emit("customer.updated", customer_id=customer.pk, fields=sorted(changes))
    return customer


@transaction.atomic
def bulk_update_customers(updates: Iterable[tuple[Customer, dict[str, Any]]], *, actor: User | None) -> int:
    """Apply every update or none: one invalid row rolls the whole batch back."""
    count = 0
    for index, (customer, values) in enumerate(updates):
        try:
            update_customer(customer, actor=actor, **values)
        except DomainError as exc:
            exc.fields = _indexed(index, exc.fields or {"": [exc.message]})
            raise
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise DomainError(
                _("The request has invalid fields."), code="validation_error", fields=_indexed(index, fields)
            ) from exc
        count += 1
    return count


def _indexed(index: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Errors of one row of a batch, named `<row>.<field>` (`<row>` alone for the row as a whole)."""
    return {
        f"{index}.{name}" if name and name != NON_FIELD_ERRORS else str(index): msgs for name, msgs in fields.items()
    }


def _locked(customers: QuerySet[Customer] | Iterable[Customer]) -> list[Customer]:
    pks = sorted({c.pk for c in customers})
    return list(Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


_UNSET: Any = object()


@transaction.atomic
def assign_agents(
    customers: QuerySet[Customer] | Iterable[Customer],
    *,
    actor: User | None,
    conversion_agent: User | None = _UNSET,
    retention_agent: User | None = _UNSET,
) -> int:
    """Set the conversion and/or retention agent of many clients; returns how many changed."""
    values = {
        name: agent
        for name, agent in (("conversion_agent", conversion_agent), ("retention_agent", retention_agent))
        if agent is not _UNSET
    }
    if not values:
        raise DomainError(_("Name an agent to assign."), code="no_agent")
    _check_agents(values)
    changed = 0
    for customer in _locked(customers):
        before = snapshot(customer, list(values))
        for name, agent in values.items():
            setattr(customer, name, agent)
        changes = changed_fields(customer, before)
        if not changes:
            continue
        customer.save(update_fields=[*values, "updated_at"])
        record_activity(actor=actor, action="customer.agent_assigned", target=customer, changes=changes)
        emit("customer.agent_assigned", customer_id=customer.pk, **{f"{k}_id": v[1] for k, v in changes.items()})
        changed += 1
    return changed


@transaction.atomic
def change_status(customers: QuerySet[Customer] | Iterable[Customer], *, status: str, actor: User | None) -> int:
    """Set the account status (active, inactive, banned, deleted) of many clients."""
    if status not in Customer.Status.values:
        raise DomainError(
            _("Unknown status %(status)s.") % {"status": repr(status)},
            code="invalid_status",
            fields={"status": [_("Unknown status.")]},
        )
    changed = 0
    for customer in _locked(customers):
        if customer.status == status:
            continue
        old = customer.status
        customer.status = status
        customer.save(update_fields=["status", "updated_at"])
        record_activity(
            actor=actor, action="customer.status_changed", target=customer, changes={"status": [old, status]}
        )
        emit("customer.status_changed", customer_id=customer.pk, status=status)
        changed += 1
    return changed


@transaction.atomic
def set_sales_status(
    customers: QuerySet[Customer] | Iterable[Customer], *, sales_status: SalesStatus | None, actor: User | None
) -> int:
    """Set the sales status of many clients."""
    changed = 0
    for customer in _locked(customers):
        if customer.sales_status_id == (sales_status.pk if sales_status else None):
            continue
        old = customer.sales_status_id
        customer.sales_status = sales_status
        customer.save(update_fields=["sales_status", "updated_at"])
        record_activity(
            actor=actor,
            action="customer.sales_status_changed",
            target=customer,
            changes={"sales_status": [old, customer.sales_status_id]},
        )
        changed += 1
    return changed
