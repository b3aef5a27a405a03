"""KYC writes: documents (upload, review) and the KYC status with its verification level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Subquery, Value
from django.db.models.expressions import Combinable, Expression
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.exceptions import KycIncomplete
from crm.customers.models import Customer, Document, VerificationLevel
from crm.users.models import User

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


def _lock(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def approved_document_types(customer: Customer) -> set[str]:
    return set(customer.documents.filter(status=Document.Status.APPROVED).values_list("document_type", flat=True))


def missing_documents(level: VerificationLevel, approved: set[str]) -> list[list[str]]:
    """The level's document groups no approved document meets yet (each group: any one of its types)."""
    return [group for group in level.document_groups() if not set(group) & approved]


def describe_documents(groups: list[list[str]]) -> str:
    """ "Passport or ID card; Proof of address" for people."""
    labels = dict(Document.Type.choices)
    return "; ".join(_(" or ").join(str(labels.get(kind, kind)) for kind in group) for group in groups)


def level_earned(customer: Customer) -> VerificationLevel | None:
    """The highest level whose document groups are all met by the client's approved documents."""
    approved = approved_document_types(customer)
    best = None
    for level in VerificationLevel.objects.order_by("rank"):
        if not missing_documents(level, approved):
            best = level
    return best


def current_level(customer: Customer) -> VerificationLevel | None:
    """The client's level, or the default level when none is set."""
    own_level = Value(customer.verification_level_id, output_field=models.BigIntegerField())
    return VerificationLevel.objects.filter(pk=current_level_id(own_level)).first()


def current_level_id(own_level: Expression | Combinable) -> Coalesce:
    """The id of the level a client is at, as an SQL expression: its own level (`own_level`: the client's
    `verification_level_id`, a value or a column), else the default level. The one statement of that rule:
    `current_level` and the money services' client lock (`crm.wallets.services.ledger.lock_client`) read it."""
    default = VerificationLevel.objects.filter(is_default=True).order_by().values("pk")[:1]
    return Coalesce(own_level, Subquery(default), output_field=models.BigIntegerField())


def next_level(level: VerificationLevel | None) -> VerificationLevel | None:
    """The level after `level`: its `next_level`, else the lowest of a higher rank."""
    if level is None:
        return VerificationLevel.objects.order_by("rank", "pk").first()
    if level.next_level_id:
        return VerificationLevel.objects.filter(pk=level.next_level_id).first()
    return VerificationLevel.objects.filter(rank__gt=level.rank).order_by("rank", "pk").first()


@dataclass(frozen=True)
class KycRequirement:
    """What a client must do to be allowed an operation: reach `level` (None: no level allows it) with the
    `missing` document groups approved; `in_review` are uploaded documents of those groups not reviewed yet."""

    level: VerificationLevel | None
    missing: list[list[str]]
    in_review: list[str]


def requirement_for(customer: Customer, operation: str) -> KycRequirement:
    """The lowest level above the client's that allows `operation`, and the documents it still needs."""
    current = current_level(customer)
    levels = VerificationLevel.objects.order_by("rank", "pk")
    if current is not None:
        levels = levels.filter(rank__gt=current.rank)
    target = next((level for level in levels if level.allows(operation)), None)
    if target is None:
        return KycRequirement(level=None, missing=[], in_review=[])
    missing = missing_documents(target, approved_document_types(customer))
    wanted = {kind for group in missing for kind in group}
    in_review = sorted(
        set(
            customer.documents.filter(status=Document.Status.NEW, document_type__in=wanted).values_list(
                "document_type", flat=True
            )
        )
    )
    return KycRequirement(level=target, missing=missing, in_review=in_review)


def _level_to_approve(customer: Customer, level: VerificationLevel | None) -> VerificationLevel | None:
    """The level an approval moves the client to, or KycIncomplete naming what that level still needs.

    Staff name a level: its documents must be approved. Otherwise the highest level the approved documents
    earn, when it is above the client's; else the next level, which then needs its documents first. A client
    at the top level is approved where they are.
    """
    approved = approved_document_types(customer)
    if level is None:
        current = current_level(customer)
        earned = level_earned(customer)
        if earned is not None and (current is None or earned.rank > current.rank):
            return earned
        level = next_level(current)
        if level is None or level == current:
            return current
    missing = missing_documents(level, approved)
    if missing:
        raise KycIncomplete(
            _("%(level)s needs these documents approved first: %(documents)s.")
            % {"level": level.name, "documents": describe_documents(missing)},
            level_name=level.name,
            missing=missing,
        )
    return level


@transaction.atomic
def approve_kyc(customer: Customer, *, actor: User | None, level: VerificationLevel | None = None) -> Customer:
    """Approve the client's KYC and move them up: to `level`, or to the level their approved documents earn.

    Refused (`kyc_documents_missing`, naming the level and the missing documents) when that level's documents
    are not all approved. Approving an approved client whose documents earn nothing higher changes nothing.
    """
    customer = _lock(customer)
    try:
        new_level = _level_to_approve(customer, level)
    except KycIncomplete:
        if level is None and customer.kyc_status == Customer.KycStatus.APPROVED:
            return customer  # approved already, and nothing higher is earned yet
        raise
    if customer.kyc_status == Customer.KycStatus.APPROVED and new_level == customer.verification_level:
        return customer
    before = snapshot(customer, ["kyc_status", "verification_level"])
    customer.kyc_status = Customer.KycStatus.APPROVED
    customer.verification_level = new_level
    customer.kyc_reviewed_by = user_or_none(actor)
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
        raise DomainError(_("Only approved KYC can be revoked."), code="kyc_not_approved")
    before = snapshot(customer, ["kyc_status", "verification_level"])
    customer.kyc_status = Customer.KycStatus.REVOKED
    customer.verification_level = VerificationLevel.objects.filter(is_default=True).first()
    customer.kyc_reviewed_by = user_or_none(actor)
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
            _("This file type is not accepted."),
            code="invalid_file_type",
            fields={"file": [_("Allowed: %(allowed)s.") % {"allowed": allowed}]},
        )
    if (upload.size or 0) > MAX_DOCUMENT_SIZE:
        raise DomainError(_("The file is too large."), code="file_too_large", fields={"file": [_("At most 10 MB.")]})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in DOCUMENT_SIGNATURES[suffix]):
        raise DomainError(
            _("The file content does not match its type."),
            code="invalid_file_content",
            fields={"file": [_("Corrupt or renamed file.")]},
        )


@transaction.atomic
def upload_document(customer: Customer, *, file: UploadedFile, document_type: str, actor: User | None) -> Document:
    """Store a KYC document privately; a client with no KYC yet moves to pending review."""
    if document_type not in Document.Type.values:
        raise DomainError(
            _("Unknown document type."), code="invalid_document_type", fields={"document_type": [_("Unknown type.")]}
        )
    validate_document_file(file)
    name = file.name or ""
    customer = _lock(customer)
    document = Document(
        customer=customer,
        document_type=document_type,
        original_name=PurePath(name).name[:255],
        content_type=(getattr(file, "content_type", "") or "")[:100],
        size=file.size or 0,
        uploaded_by=user_or_none(actor),
    )
    document.file.save(name, file, save=False)
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
        raise DomainError(_("This document has already been reviewed."), code="document_already_reviewed")
    if not approve and not reason.strip():
        raise DomainError(
            _("Give the reason for the rejection."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    document.status = Document.Status.APPROVED if approve else Document.Status.REJECTED
    document.rejection_reason = "" if approve else reason.strip()[:255]
    document.reviewed_by = user_or_none(actor)
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


@transaction.atomic
def reject_kyc(customer: Customer, *, actor: User | None, reason: str = "") -> Customer:
    """Turn down the client's KYC (the client may try again); an approved client must be revoked instead."""
    customer = _lock(customer)
    if customer.kyc_status == Customer.KycStatus.APPROVED:
        raise DomainError(_("Approved KYC is revoked, not rejected."), code="kyc_already_approved")
    if customer.kyc_status == Customer.KycStatus.REJECTED:
        return customer
    old = customer.kyc_status
    customer.kyc_status = Customer.KycStatus.REJECTED
    customer.kyc_reviewed_by = user_or_none(actor)
    customer.kyc_reviewed_at = timezone.now()
    customer.save(update_fields=["kyc_status", "kyc_reviewed_by", "kyc_reviewed_at", "updated_at"])
    record_activity(
        actor=actor,
        action="kyc.rejected",
        target=customer,
        changes={"kyc_status": [old, customer.kyc_status]},
        data={"reason": reason},
    )
    emit("kyc.rejected", customer_id=customer.pk)
    return customer
