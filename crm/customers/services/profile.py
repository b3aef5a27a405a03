"""A client's own profile in the portal: editable fields, form steps, picture, disclaimer, account disable request."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.customers.models import Country, Customer, CustomerFieldConfiguration
from crm.customers.portal_models import FORM_STEPS
from crm.customers.services.clients import update_customer
from crm.customers.services.kyc import DOCUMENT_SIGNATURES
from crm.customers.services.onboarding import missing_fields

MAX_PICTURE_SIZE = 2 * 1024 * 1024
PICTURE_TYPES = (".jpg", ".jpeg", ".png", ".webp")


def editable_fields() -> set[str]:
    return set(CustomerFieldConfiguration.objects.filter(editable=True).values_list("field", flat=True))


def _refuse_fields(names: set[str], message: str) -> None:
    if names:
        raise DomainError(message, code="field_not_editable", fields={name: [message] for name in sorted(names)})


def _check_country(values: dict[str, Any]) -> None:
    country = values.get("country")
    if country and not Country.objects.filter(code=str(country), is_enabled=True).exists():
        raise DomainError(
            _("This country is not available."), code="country_not_allowed", fields={"country": [_("Not available.")]}
        )


@transaction.atomic
def _apply(customer: Customer, values: dict[str, Any]) -> Customer:
    old_phone = str(customer.phone or "")
    customer = update_customer(customer, actor=customer.user, **values)
    if "phone" in values and str(customer.phone or "") != old_phone and customer.phone_confirmed_at is not None:
        customer.phone_confirmed_at = None
        customer.save(update_fields=["phone_confirmed_at", "updated_at"])
    return customer


def update_own_profile(customer: Customer, values: dict[str, Any]) -> Customer:
    """Change the client's own editable fields; a new phone number has to be confirmed again."""
    _refuse_fields(set(values) - editable_fields(), "This field cannot be changed.")
    _check_country(values)
    return _apply(customer, values)


def submit_form(customer: Customer, step: str, values: dict[str, Any]) -> Customer:
    """Fill the fields a form step asks for: empty fields may be set, set ones only when editable."""
    if step not in FORM_STEPS:
        raise DomainError(_("Not a form step."), code="invalid_step", fields={"step": [_("Not a form step.")]})
    configs = {c.field: c for c in CustomerFieldConfiguration.objects.filter(step=step)}
    _refuse_fields(set(values) - set(configs), "This form does not ask for this field.")
    locked = {
        name
        for name in values
        if not configs[name].editable and str(getattr(customer, name) or "") not in ("", str(values[name]))
    }
    _refuse_fields(locked, "This field cannot be changed.")
    missing = missing_fields(customer, step, values)
    if missing:
        raise DomainError(
            _("Fill in the required fields."),
            code="validation_error",
            fields={name: [_("This field is required.")] for name in missing},
        )
    _check_country(values)
    return _apply(customer, values)


def _validate_picture(upload: UploadedFile) -> str:
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in PICTURE_TYPES:
        raise DomainError(
            _("This image type is not accepted."),
            code="invalid_file_type",
            fields={"file": [_("Allowed: %(PICTURE_TYPES)s.") % {"PICTURE_TYPES": ", ".join(PICTURE_TYPES)}]},
        )
    if (upload.size or 0) > MAX_PICTURE_SIZE:
        raise DomainError(_("The image is too large."), code="file_too_large", fields={"file": [_("At most 2 MB.")]})
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in DOCUMENT_SIGNATURES[suffix]):
        raise DomainError(
            _("The file content does not match its type."),
            code="invalid_file_content",
            fields={"file": [_("Corrupt or renamed file.")]},
        )
    return suffix


@transaction.atomic
def set_profile_picture(customer: Customer, *, file: UploadedFile) -> Customer:
    """Store a new profile picture privately (image type and size checked); the old one is deleted after commit."""
    suffix = _validate_picture(file)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old = customer.profile_picture.name if customer.profile_picture else ""
    customer.profile_picture.save(f"picture{suffix}", file, save=False)
    customer.save(update_fields=["profile_picture", "updated_at"])
    if old:
        storage = customer.profile_picture.storage
        transaction.on_commit(lambda: storage.delete(old))
    record_activity(actor=customer.user, action="customer.picture_changed", target=customer)
    return customer


@transaction.atomic
def delete_profile_picture(customer: Customer) -> Customer:
    """Remove the profile picture; removing none changes nothing."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.profile_picture:
        name, storage = cast(str, customer.profile_picture.name), customer.profile_picture.storage
        customer.profile_picture = ""
        customer.save(update_fields=["profile_picture", "updated_at"])
        transaction.on_commit(lambda: storage.delete(name))
        record_activity(actor=customer.user, action="customer.picture_deleted", target=customer)
    return customer


@transaction.atomic
def accept_deposit_disclaimer(customer: Customer) -> Customer:
    """Record that the client accepted the deposit disclaimer; accepting again keeps the first time."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.deposit_disclaimer_accepted_at is None:
        customer.deposit_disclaimer_accepted_at = timezone.now()
        customer.save(update_fields=["deposit_disclaimer_accepted_at", "updated_at"])
        record_activity(actor=customer.user, action="customer.deposit_disclaimer_accepted", target=customer)
    return customer


@transaction.atomic
def request_account_disable(customer: Customer) -> Customer:
    """The client asks to close the account: staff see the request time; asking again keeps the first."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.termination_requested_at is None:
        customer.termination_requested_at = timezone.now()
        customer.save(update_fields=["termination_requested_at", "updated_at"])
        record_activity(actor=customer.user, action="customer.termination_requested", target=customer)
        emit("customer.termination_requested", customer_id=customer.pk)
    return customer
