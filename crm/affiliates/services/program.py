"""Affiliate profiles: enrolment, the IB tree, status, referral key, API keys and grey-label logos."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.affiliates.exceptions import InvalidReferralKey, InvalidStatus, InvalidTree, ReferralKeyTaken
from crm.affiliates.models import Affiliate, AffiliateApiKey, AffiliateTreePath, CommissionModel
from crm.affiliates.models.program import REFERRAL_KEY
from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import ClientRole, Customer
from crm.users.models import hash_token

LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml", "image/webp", "image/gif"}
LOGO_MAX_BYTES = 2 * 1024 * 1024


def _locked(affiliate: Affiliate) -> Affiliate:
    return Affiliate.objects.select_for_update().get(pk=affiliate.pk)


def default_commission_model() -> CommissionModel | None:
    return CommissionModel.objects.filter(is_default=True, is_enabled=True).first()


def plan_for(parent: Affiliate | None) -> CommissionModel | None:
    """The plan a new affiliate gets: its master IB's sub-model, else the default plan."""
    if parent is not None:
        parent_plan = parent.commission_model or default_commission_model()
        if parent_plan is not None and parent_plan.sub_commission_model_id:
            return parent_plan.sub_commission_model
    return default_commission_model()


def new_referral_key() -> str:
    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")[:12]


@transaction.atomic
def enroll_affiliate(
    customer: Customer,
    *,
    actor,
    parent: Affiliate | None = None,
    currency: str | None = None,
    commission_model: CommissionModel | None = None,
    status: str = Affiliate.Status.PENDING,
    **values,
) -> Affiliate:
    """Make a client an affiliate (pending approval unless told). Enrolling twice returns the profile.

    The master IB defaults to the affiliate profile of the client's own introducer; the plan to the
    master's sub-model or the default plan. The client gets the `affiliate` role and a referral key.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    existing = Affiliate.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    if parent is None and customer.introducer_id:
        parent = Affiliate.objects.filter(customer_id=customer.introducer_id).first()
    affiliate = Affiliate(
        customer=customer,
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
        status=status,
        currency_id=currency or customer.currency,
        commission_model=commission_model or plan_for(parent),
        **values,
    )
    if status == Affiliate.Status.ACTIVE:
        affiliate.approved_at, affiliate.approved_by = timezone.now(), user_or_none(actor)
    affiliate.full_clean(exclude=["customer", "parent", "commission_model", "currency"])
    affiliate.save()
    _add_paths(affiliate)
    if not customer.referral_key:
        customer.referral_key = new_referral_key()
        customer.save(update_fields=["referral_key", "updated_at"])
    customer.roles.add(*ClientRole.objects.filter(name="affiliate"))
    record_activity(
        actor=actor, action="affiliate.enrolled", target=affiliate, data={"parent_id": affiliate.parent_id}
    )
    emit("affiliate.enrolled", affiliate_id=affiliate.pk, customer_id=customer.pk, status=affiliate.status)
    return affiliate


def _add_paths(affiliate: Affiliate) -> None:
    """The new node's closure rows: itself at depth 0 and every ancestor of its parent, one further away."""
    rows = [AffiliateTreePath(ancestor=affiliate, descendant=affiliate, depth=0)]
    if affiliate.parent_id:
        rows += [
            AffiliateTreePath(ancestor_id=ancestor_id, descendant=affiliate, depth=depth + 1)
            for ancestor_id, depth in AffiliateTreePath.objects.filter(descendant_id=affiliate.parent_id).values_list(
                "ancestor_id", "depth"
            )
        ]
    AffiliateTreePath.objects.bulk_create(rows)


@transaction.atomic
def move_affiliate(affiliate: Affiliate, *, parent: Affiliate | None, actor) -> Affiliate:
    """Put an affiliate (with its whole downline) under another master IB, or at the top.

    Refused when the new parent is in the affiliate's own downline. The closure rows of the subtree are
    rebuilt in three set-based statements; commissions already calculated stay with whom they were.
    """
    affiliate = _locked(affiliate)
    if (parent.pk if parent else None) == affiliate.parent_id:
        return affiliate
    subtree = list(AffiliateTreePath.objects.filter(ancestor=affiliate).values_list("descendant_id", "depth"))
    subtree_ids = {pk for pk, _unused in subtree}
    if parent is not None and parent.pk in subtree_ids:
        raise InvalidTree(
            _("An affiliate cannot be moved under its own downline."),
            fields={"parent": [_("In the affiliate's downline.")]},
        )
    old_parent = affiliate.parent_id
    # Cut: drop the paths from the old ancestors (above the affiliate) into the subtree.
    AffiliateTreePath.objects.filter(descendant_id__in=subtree_ids).exclude(ancestor_id__in=subtree_ids).delete()
    new_depth = 0
    if parent is not None:
        parent = Affiliate.objects.get(pk=parent.pk)
        new_depth = parent.depth + 1
        above = list(AffiliateTreePath.objects.filter(descendant=parent).values_list("ancestor_id", "depth"))
        AffiliateTreePath.objects.bulk_create(
            [
                AffiliateTreePath(ancestor_id=ancestor_id, descendant_id=descendant_id, depth=up + 1 + down)
                for ancestor_id, up in above
                for descendant_id, down in subtree
            ]
        )
    shift = new_depth - affiliate.depth
    if shift:
        from django.db.models import F

        Affiliate.objects.filter(pk__in=subtree_ids).update(depth=F("depth") + shift)
    Affiliate.objects.filter(pk=affiliate.pk).update(parent=parent, updated_at=timezone.now())
    affiliate.refresh_from_db()
    record_activity(
        actor=actor,
        action="affiliate.moved",
        target=affiliate,
        changes={"parent_id": [old_parent, affiliate.parent_id]},
    )
    emit("affiliate.moved", affiliate_id=affiliate.pk, parent_id=affiliate.parent_id, old_parent_id=old_parent)
    return affiliate


@transaction.atomic
def approve_affiliate(affiliate: Affiliate, *, actor) -> Affiliate:
    """Activate a pending (or suspended) affiliate; approving an active one changes nothing."""
    return _set_status(affiliate, Affiliate.Status.ACTIVE, reason="", actor=actor)


@transaction.atomic
def suspend_affiliate(affiliate: Affiliate, *, reason: str, actor) -> Affiliate:
    """Suspend an affiliate with a reason: it earns nothing on actions while suspended."""
    if not (reason or "").strip():
        raise InvalidStatus(
            _("Say why the affiliate is suspended."), fields={"reason": [_("This field is required.")]}
        )
    return _set_status(affiliate, Affiliate.Status.SUSPENDED, reason=reason.strip()[:255], actor=actor)


def _set_status(affiliate: Affiliate, status: str, *, reason: str, actor) -> Affiliate:
    affiliate = _locked(affiliate)
    if affiliate.status == status and affiliate.status_reason == reason:
        return affiliate
    before = snapshot(affiliate, ["status", "status_reason"])
    affiliate.status, affiliate.status_reason = status, reason
    fields = ["status", "status_reason", "updated_at"]
    if status == Affiliate.Status.ACTIVE and affiliate.approved_at is None:
        affiliate.approved_at, affiliate.approved_by = timezone.now(), user_or_none(actor)
        fields += ["approved_at", "approved_by"]
    affiliate.save(update_fields=fields)
    record_activity(
        actor=actor, action="affiliate.status_changed", target=affiliate, changes=changed_fields(affiliate, before)
    )
    emit("affiliate.status_changed", affiliate_id=affiliate.pk, status=status, reason=reason)
    return affiliate


@transaction.atomic
def update_affiliate(affiliate: Affiliate, *, actor, **values) -> Affiliate:
    """Change plan, currency, manager, contact visibility or automatic payout; logged field by field."""
    allowed = {"commission_model", "currency", "manager", "show_contact_details", "auto_payout"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({name: ["Cannot be changed here."] for name in sorted(unknown)})
    affiliate = _locked(affiliate)
    before = snapshot(affiliate, sorted(values))
    for name, value in values.items():
        setattr(affiliate, name, value)
    changes = changed_fields(affiliate, before)
    if not changes:
        return affiliate
    affiliate.save(update_fields=[*values, "updated_at"])
    record_activity(actor=actor, action="affiliate.updated", target=affiliate, changes=changes)
    emit("affiliate.updated", affiliate_id=affiliate.pk, fields=sorted(changes))
    return affiliate


@transaction.atomic
def set_referral_key(affiliate: Affiliate, *, key: str, actor) -> Affiliate:
    """Change the affiliate's referral key (000 "Update the reference key": 5 to 20 characters, unique)."""
    key = (key or "").strip()
    try:
        REFERRAL_KEY(key)
    except ValidationError as exc:
        raise InvalidReferralKey(_("The referral key is not valid."), fields={"refKey": list(exc.messages)}) from exc
    customer = Customer.objects.select_for_update().get(pk=affiliate.customer_id)
    if customer.referral_key == key:
        return affiliate
    if Customer.objects.filter(referral_key=key).exclude(pk=customer.pk).exists():
        raise ReferralKeyTaken(_("This referral key is taken."), fields={"refKey": [_("Already in use.")]})
    old = customer.referral_key
    customer.referral_key = key
    try:
        with transaction.atomic():
            customer.save(update_fields=["referral_key", "updated_at"])
    except IntegrityError as exc:
        raise ReferralKeyTaken(_("This referral key is taken."), fields={"refKey": [_("Already in use.")]}) from exc
    record_activity(
        actor=actor, action="affiliate.referral_key_changed", target=affiliate, changes={"refKey": [old, key]}
    )
    return affiliate


@transaction.atomic
def create_api_key(affiliate: Affiliate, *, actor, name: str = "") -> tuple[AffiliateApiKey, str]:
    """A new partner API key (000 "Generate a new affiliate key"); the raw key is returned once, never stored."""
    raw = f"aff_{secrets.token_urlsafe(32)}"
    api_key = AffiliateApiKey.objects.create(
        affiliate=affiliate, name=name[:100], key_prefix=raw[: AffiliateApiKey.PREFIX_LENGTH], key_hash=hash_token(raw)
    )
    record_activity(actor=actor, action="affiliate.api_key_created", target=affiliate, data={"key_id": api_key.pk})
    return api_key, raw


@transaction.atomic
def revoke_api_key(api_key: AffiliateApiKey, *, actor) -> AffiliateApiKey:
    """Revoke a key; revoking twice changes nothing."""
    api_key = AffiliateApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        record_activity(
            actor=actor, action="affiliate.api_key_revoked", target=api_key.affiliate, data={"key_id": api_key.pk}
        )
    return api_key


def affiliate_for_api_key(raw: str, *, ip: str | None = None) -> Affiliate | None:
    """The active affiliate a raw partner key belongs to; stamps its use.

    None for unknown or revoked keys, and for affiliates whose client account is banned or deleted (their portal
    log-in is refused the same way, by `api.permissions.current_affiliate`).
    """
    if not raw:
        return None
    api_key = (
        AffiliateApiKey.objects.select_related("affiliate__customer")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, affiliate__status=Affiliate.Status.ACTIVE)
        .exclude(affiliate__customer__status__in=[Customer.Status.BANNED, Customer.Status.DELETED])
        .first()
    )
    if api_key is None:
        return None
    AffiliateApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now(), last_used_ip=ip)
    return api_key.affiliate


def _check_logo(upload: UploadedFile, field: str) -> None:
    if (upload.size or 0) > LOGO_MAX_BYTES:
        raise ValidationError({field: [_("The logo is larger than 2 MB.")]})
    if (upload.content_type or "") not in LOGO_TYPES:
        raise ValidationError({field: [_("Upload a PNG, JPEG, SVG, WebP or GIF image.")]})


def _delete_files(files: list[tuple[Storage, str | None]]) -> None:
    for storage, name in files:
        if name:
            storage.delete(name)


@transaction.atomic
def set_grey_label_logos(affiliate: Affiliate, *, rectangular: UploadedFile, square: UploadedFile, actor) -> Affiliate:
    """Store the affiliate's grey-label logos; refused unless its plan has grey labelling enabled."""
    affiliate = _locked(affiliate)
    plan = affiliate.commission_model or default_commission_model()
    if plan is None or not plan.grey_labeling_enabled:
        raise InvalidStatus(_("Grey labelling is not enabled for this affiliate."), code="grey_labeling_disabled")
    _check_logo(rectangular, "rectangularLogo")
    _check_logo(square, "squareLogo")
    # Names taken before saving: a FieldFile's save() renames that same object to the new file.
    old = [(f.storage, f.name) for f in (affiliate.rectangular_logo, affiliate.square_logo) if f]
    affiliate.rectangular_logo.save(rectangular.name or "", rectangular, save=False)
    affiliate.square_logo.save(square.name or "", square, save=False)
    affiliate.save(update_fields=["rectangular_logo", "square_logo", "updated_at"])
    transaction.on_commit(lambda: _delete_files(old))
    record_activity(actor=actor, action="affiliate.logos_changed", target=affiliate)
    return affiliate


@transaction.atomic
def delete_grey_label_logos(affiliate: Affiliate, *, actor) -> Affiliate:
    """Remove both logos; removing none changes nothing."""
    affiliate = _locked(affiliate)
    old = [f for f in (affiliate.rectangular_logo, affiliate.square_logo) if f]
    if not old:
        return affiliate
    names = [(f.storage, f.name) for f in old]
    affiliate.rectangular_logo, affiliate.square_logo = "", ""
    affiliate.save(update_fields=["rectangular_logo", "square_logo", "updated_at"])
    transaction.on_commit(lambda: _delete_files(names))
    record_activity(actor=actor, action="affiliate.logos_deleted", target=affiliate)
    return affiliate
