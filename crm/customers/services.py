"""Writes on clients: every one checks its rules, logs the activity and emits its event in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import (
    ClientGroup,
    ClientRole,
    ClientType,
    Comment,
    Customer,
    Document,
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

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
# Extension -> the file's first bytes, so a renamed executable is refused.
DOCUMENT_SIGNATURES = {
    ".pdf": [b"%PDF"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".png": [b"\x89PNG\r\n\x1a\n"],
    ".webp": [b"RIFF"],
    ".heic": [b"\x00\x00\x00"],
}


class EmailTaken(DomainError):
    code = "email_taken"
    status_code = 409


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email_free(email: str, *, exclude_pk: int | None = None) -> None:
    taken = Customer.objects.filter(email__iexact=email)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise EmailTaken("A client with this email already exists.", fields={"email": ["Already registered."]})


def _check_agents(values: dict[str, Any]) -> None:
    for name in ("conversion_agent", "retention_agent"):
        agent = values.get(name)
        if agent is not None and not (agent.is_staff and agent.is_active and not agent.is_service_account):
            raise DomainError(
                "Agents must be active staff members.",
                code="invalid_agent",
                fields={name: ["Not an active staff member."]},
            )


def _check_introducer(customer: Customer | None, introducer: Customer | None) -> None:
    if introducer is None or customer is None or customer.pk is None:
        return
    node, seen = introducer, set()
    while node is not None and node.pk not in seen:
        if node.pk == customer.pk:
            raise DomainError(
                "A client cannot be introduced by themselves or their own referrals.",
                code="introducer_cycle",
                fields={"introducer": ["Would create a referral loop."]},
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
def create_customer(*, actor: User | None, **values: Any) -> Customer:
    """Create a client with the default client type and verification level; the email must be new.

    A staff member who sees only their own clients becomes the conversion agent when no agent is named.
    """
    unknown = set(values) - set(EDITABLE_FIELDS) - set(RELATION_LISTS) - {"registered_at", "status"}
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}", code="unknown_fields")
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
def update_customer(customer: Customer, *, actor: User | None, **values: Any) -> Customer:
    """Change a client's editable fields; the history keeps every old and new value."""
    unknown = set(values) - set(EDITABLE_FIELDS) - set(RELATION_LISTS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}", code="unknown_fields")
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
                "The request has invalid fields.", code="validation_error", fields=_indexed(index, fields)
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
        raise DomainError("Name an agent to assign.", code="no_agent")
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
        raise DomainError(f"Unknown status {status!r}.", code="invalid_status", fields={"status": ["Unknown status."]})
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


# KYC ----------------------------------------------------------------------------------


def _lock(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def level_earned(customer: Customer) -> VerificationLevel | None:
    """The highest level whose required document types are all approved for the client."""
    approved = set(customer.documents.filter(status=Document.Status.APPROVED).values_list("document_type", flat=True))
    best = None
    for level in VerificationLevel.objects.order_by("rank"):
        if set(level.required_document_groups) <= approved:
            best = level
    return best


@transaction.atomic
def approve_kyc(customer: Customer, *, actor: User | None, level: VerificationLevel | None = None) -> Customer:
    """Approve the client's KYC and move them to `level`, or to the level their approved documents earn."""
    customer = _lock(customer)
    if customer.kyc_status == Customer.KycStatus.APPROVED and level is None:
        return customer
    new_level = level or level_earned(customer) or customer.verification_level
    before = snapshot(customer, ["kyc_status", "verification_level"])
    customer.kyc_status = Customer.KycStatus.APPROVED
    customer.verification_level = new_level
    customer.kyc_reviewed_by = actor if actor and actor.is_authenticated else None
    customer.kyc_reviewed_at = timezone.now()
    customer.save(
        update_fields=["kyc_status", "verification_level", "kyc_reviewed_by", "kyc_reviewed_at", "updated_at"]
    )
    record_activity(actor=actor, action="kyc.approved", target=customer, changes=changed_fields(customer, before))
    emit("kyc.approved", customer_id=customer.pk, verification_level_id=customer.verification_level_id)
    return customer


@transaction.atomic
def revoke_kyc(customer: Customer, *, actor: User | None, reason: str = "") -> Customer:
    """Withdraw an approval: the client drops to the default level and loses what KYC granted."""
    customer = _lock(customer)
    if customer.kyc_status != Customer.KycStatus.APPROVED:
        raise DomainError("Only approved KYC can be revoked.", code="kyc_not_approved")
    before = snapshot(customer, ["kyc_status", "verification_level"])
    customer.kyc_status = Customer.KycStatus.REVOKED
    customer.verification_level = VerificationLevel.objects.filter(is_default=True).first()
    customer.kyc_reviewed_by = actor if actor and actor.is_authenticated else None
    customer.kyc_reviewed_at = timezone.now()
    customer.save(
        update_fields=["kyc_status", "verification_level", "kyc_reviewed_by", "kyc_reviewed_at", "updated_at"]
    )
    record_activity(
        actor=actor,
        action="kyc.revoked",
        target=customer,
        changes=changed_fields(customer, before),
        data={"reason": reason},
    )
    emit("kyc.revoked", customer_id=customer.pk)
    return customer


@transaction.atomic
def reset_kyc(customer: Customer, *, actor: User | None) -> Customer:
    """Start KYC over: status back to not started (pending if new documents wait), default level."""
    customer = _lock(customer)
    before = snapshot(customer, ["kyc_status", "verification_level"])
    has_new = customer.documents.filter(status=Document.Status.NEW).exists()
    customer.kyc_status = Customer.KycStatus.PENDING if has_new else Customer.KycStatus.NOT_STARTED
    customer.verification_level = VerificationLevel.objects.filter(is_default=True).first()
    customer.kyc_reviewed_by = None
    customer.kyc_reviewed_at = None
    customer.save(
        update_fields=["kyc_status", "verification_level", "kyc_reviewed_by", "kyc_reviewed_at", "updated_at"]
    )
    record_activity(actor=actor, action="kyc.reset", target=customer, changes=changed_fields(customer, before))
    emit("kyc.reset", customer_id=customer.pk)
    return customer


def validate_document_file(upload: UploadedFile) -> None:
    """Refuse files that are too big, of a type we do not take, or whose content does not match the name."""
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in DOCUMENT_SIGNATURES:
        allowed = ", ".join(sorted(DOCUMENT_SIGNATURES))
        raise DomainError(
            "This file type is not accepted.", code="invalid_file_type", fields={"file": [f"Allowed: {allowed}."]}
        )
    if upload.size > MAX_DOCUMENT_SIZE:
        raise DomainError("The file is too large.", code="file_too_large", fields={"file": ["At most 10 MB."]})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in DOCUMENT_SIGNATURES[suffix]):
        raise DomainError(
            "The file content does not match its type.",
            code="invalid_file_content",
            fields={"file": ["Corrupt or renamed file."]},
        )


@transaction.atomic
def upload_document(customer: Customer, *, file: UploadedFile, document_type: str, actor: User | None) -> Document:
    """Store a KYC document privately; a client with no KYC yet moves to pending review."""
    if document_type not in Document.Type.values:
        raise DomainError(
            "Unknown document type.", code="invalid_document_type", fields={"document_type": ["Unknown type."]}
        )
    validate_document_file(file)
    customer = _lock(customer)
    document = Document(
        customer=customer,
        document_type=document_type,
        original_name=PurePath(file.name).name[:255],
        content_type=(getattr(file, "content_type", "") or "")[:100],
        size=file.size,
        uploaded_by=actor if actor and actor.is_authenticated else None,
    )
    document.file.save(file.name, file, save=False)
    document.save()
    if customer.kyc_status in (Customer.KycStatus.NOT_STARTED, Customer.KycStatus.REJECTED):
        customer.kyc_status = Customer.KycStatus.PENDING
        customer.save(update_fields=["kyc_status", "updated_at"])
    record_activity(actor=actor, action="document.uploaded", target=customer, data={"document_id": document.pk})
    emit("document.uploaded", customer_id=customer.pk, document_id=document.pk)
    return document


@transaction.atomic
def review_document(document: Document, *, approve: bool, actor: User | None, reason: str = "") -> Document:
    """Approve or reject a new document; a rejection needs a reason the client will see."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Document.Status.NEW:
        raise DomainError("This document has already been reviewed.", code="document_already_reviewed")
    if not approve and not reason.strip():
        raise DomainError(
            "Give the reason for the rejection.", code="reason_required", fields={"reason": ["Required."]}
        )
    document.status = Document.Status.APPROVED if approve else Document.Status.REJECTED
    document.rejection_reason = "" if approve else reason.strip()[:255]
    document.reviewed_by = actor if actor and actor.is_authenticated else None
    document.reviewed_at = timezone.now()
    document.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"])
    action = "document.approved" if approve else "document.rejected"
    record_activity(
        actor=actor,
        action=action,
        target=document.customer,
        data={"document_id": document.pk, "reason": document.rejection_reason},
    )
    emit(action, customer_id=document.customer_id, document_id=document.pk)
    return document


# Comments and bookmarks -----------------------------------------------------------------


@transaction.atomic
def add_comment(customer: Customer, *, body: str, actor: User) -> Comment:
    """Add a staff note to a client and stamp the client's last comment time."""
    body = (body or "").strip()
    if not body:
        raise DomainError("The comment is empty.", code="empty_comment", fields={"body": ["Required."]})
    comment = Comment.objects.create(customer=customer, author=actor, body=body)
    Customer.objects.filter(pk=customer.pk).update(last_comment_at=comment.created_at)
    record_activity(actor=actor, action="customer.commented", target=customer, data={"comment_id": comment.pk})
    return comment


def bookmark_customer(customer: Customer, *, user: User) -> None:
    """Bookmarking twice keeps one bookmark."""
    customer.bookmarks.get_or_create(user=user)


def remove_bookmark(customer: Customer, *, user: User) -> None:
    """Removing a bookmark that is not there changes nothing."""
    customer.bookmarks.filter(user=user).delete()
