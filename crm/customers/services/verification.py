"""Confirming the email and the phone, and resetting or changing the password of a portal login."""

from __future__ import annotations

import datetime as dt
from typing import cast

import phonenumbers
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import Conflict, DomainError
from crm.core.i18n import language_or_default
from crm.core.services import record_activity
from crm.core.sms import send_sms
from crm.customers.models import Customer
from crm.users import security
from crm.users.models import OneTimeToken, User

Purpose = OneTimeToken.Purpose


def _portal_link(path: str, token: str) -> str:
    return f"{settings.PORTAL_URL.rstrip('/')}/{path}?token={token}"


def _sms_after_commit(phone: str, text: str) -> None:
    transaction.on_commit(lambda: send_sms(phone, text))


# Email ---------------------------------------------------------------------------------------


@transaction.atomic
def send_email_confirmation(customer: Customer) -> None:
    """Mail a confirmation link; an earlier link stops working. Refused when the email is already confirmed."""
    if customer.confirmed_at is not None:
        raise Conflict(_("The email is already confirmed."), code="already_confirmed")
    _token, raw = security.issue_one_time_token(
        cast(User, customer.user),
        purpose=Purpose.EMAIL_CONFIRMATION,
        sent_to=customer.email,
        lifetime=dt.timedelta(minutes=settings.EMAIL_CONFIRMATION_TOKEN_MINUTES),
    )
    # The email is a template on this event (crm.communications); the link leaves the event once it is queued.
    emit("customer.email_confirmation_requested", customer_id=customer.pk, link=_portal_link("verify-email", raw))


@transaction.atomic
def confirm_email(raw_token: str) -> Customer:
    """Use a confirmation token: the email is confirmed and an unconfirmed (inactive) client becomes active."""
    token = security.consume_token(raw_token, purpose=Purpose.EMAIL_CONFIRMATION)
    customer = Customer.objects.select_for_update().filter(user=token.user).first()
    if customer is None or customer.email != token.sent_to:
        raise security.InvalidToken(_("The link was sent to another email address."))
    if customer.confirmed_at is None:
        customer.confirmed_at = timezone.now()
        if customer.status == Customer.Status.INACTIVE:
            customer.status = Customer.Status.ACTIVE
        customer.save(update_fields=["confirmed_at", "status", "updated_at"])
        record_activity(actor=token.user, action="customer.email_confirmed", target=customer)
        emit("customer.email_confirmed", customer_id=customer.pk)
    return customer


# Phone ---------------------------------------------------------------------------------------


@transaction.atomic
def send_phone_code(customer: Customer) -> None:
    """Text a six-digit code to the client's phone; an earlier code stops working."""
    if not customer.phone:
        raise DomainError(_("Add a phone number first."), code="phone_missing", fields={"phone": [_("Required.")]})
    if customer.phone_confirmed_at is not None:
        raise Conflict(_("The phone number is already confirmed."), code="already_confirmed")
    phone = str(customer.phone)
    _token, code = security.issue_one_time_token(
        cast(User, customer.user),
        purpose=Purpose.PHONE_CONFIRMATION,
        sent_to=phone,
        lifetime=dt.timedelta(minutes=settings.PHONE_CODE_MINUTES),
        short_code=True,
    )
    with translation.override(language_or_default(customer.language)):
        _sms_after_commit(phone, _("%(site)s code: %(code)s") % {"site": settings.SITE_NAME, "code": code})


def confirm_phone(customer: Customer, code: str) -> Customer:
    """Check the code sent to the client's current phone; a wrong code counts against it (five and it is gone)."""
    security.consume_code(
        cast(User, customer.user), code, purpose=Purpose.PHONE_CONFIRMATION, sent_to=str(customer.phone)
    )
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.phone_confirmed_at is None:
            customer.phone_confirmed_at = timezone.now()
            customer.save(update_fields=["phone_confirmed_at", "updated_at"])
            record_activity(actor=customer.user, action="customer.phone_confirmed", target=customer)
            emit("customer.phone_confirmed", customer_id=customer.pk)
    return customer


# Password ------------------------------------------------------------------------------------


def _customer_by_contact(contact: str) -> Customer | None:
    contact = (contact or "").strip()
    if "@" in contact:
        return Customer.objects.select_related("user").filter(email__iexact=contact, user__isnull=False).first()
    try:
        number = phonenumbers.parse(contact, None)
    except phonenumbers.NumberParseException:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Customer.objects.select_related("user").filter(phone=e164, user__isnull=False).first()


@transaction.atomic
def request_password_reset(contact: str) -> None:
    """Send a single-use reset token by email or text, to whichever the contact names.

    Answers the same whether or not the contact is known, so the endpoint does not reveal who is a client.
    """
    customer = _customer_by_contact(contact)
    if customer is None:
        return
    user = cast(User, customer.user)  # found by a contact of a client with a login
    if not user.is_active or user.is_staff:
        return
    by_email = "@" in contact
    sent_to = customer.email if by_email else str(customer.phone)
    _token, raw = security.issue_one_time_token(
        user,
        purpose=Purpose.PASSWORD_RESET,
        sent_to=sent_to,
        lifetime=dt.timedelta(minutes=settings.PASSWORD_RESET_TOKEN_MINUTES),
    )
    if by_email:
        # The email is a template on this event (crm.communications); the link leaves the event once it is queued.
        emit("customer.password_reset_requested", customer_id=customer.pk, link=_portal_link("reset-password", raw))
    else:
        with translation.override(language_or_default(customer.language)):
            _sms_after_commit(
                sent_to, _("%(site)s password reset token: %(token)s") % {"site": settings.SITE_NAME, "token": raw}
            )
    record_activity(actor=None, action="password.reset_requested", target=customer.user, data={"by_email": by_email})


def check_password_rules(password: str, *, email: str, first_name: str = "", last_name: str = "") -> None:
    """Django's password validators, as a field error on `password`."""
    try:
        validate_password(password, user=User(email=email, first_name=first_name, last_name=last_name))
    except ValidationError as exc:
        raise DomainError(
            _("The password is too weak."), code="weak_password", fields={"password": exc.messages}
        ) from exc


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    security.revoke_refresh_tokens(user)


@transaction.atomic
def reset_password(raw_token: str, *, password: str) -> User:
    """Set a new password with a reset token (once); every session of the user is logged out."""
    token = security.consume_token(raw_token, purpose=Purpose.PASSWORD_RESET)
    user = token.user
    check_password_rules(password, email=user.email, first_name=user.first_name, last_name=user.last_name)
    _set_password(user, password)
    record_activity(actor=user, action="password.reset", target=user)
    return user


@transaction.atomic
def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """Change the password after checking the current one; other sessions are logged out."""
    if not user.check_password(current_password):
        raise DomainError(
            _("The current password is wrong."),
            code="wrong_password",
            fields={"current_password": [_("Wrong password.")]},
        )
    check_password_rules(new_password, email=user.email, first_name=user.first_name, last_name=user.last_name)
    _set_password(user, new_password)
    record_activity(actor=user, action="password.changed", target=user)
    return user
