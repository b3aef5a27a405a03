"""Text messages through the SMS provider staff configure in the admin: Twilio (its official library) or the
log. With no active provider, or the log one, texts go to the log (`crm.core.sms.LogSmsBackend`), so phone
confirmation works on one machine.

`ConfiguredSmsBackend` is the `SMS_BACKEND` (crm.core.sms) of the product: phone confirmation and every other
system text go through the active provider and are recorded, codes masked. Staff text a client with
`send_text_message`, which is a contact (it stamps `last_contact_at`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import requests
from django.db import transaction
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from crm.communications.models import SmsProvider, TextMessage
from crm.core import crypto
from crm.core.exceptions import DomainError, NotFound
from crm.core.services import record_activity
from crm.core.sms import LogSmsBackend, SmsBackend
from crm.customers.models import Customer
from crm.users.models import User

logger = logging.getLogger(__name__)
TIMEOUT = 15
MAX_TEXT = 1600  # Twilio's limit for one message body
CODE = re.compile(r"\d{4,}")


class SmsFailed(Exception):
    """The provider refused the text or could not be reached."""


@dataclass(frozen=True)
class Sent:
    provider: str
    reference: str


def http_client() -> TwilioHttpClient:
    """The HTTP client the Twilio library sends with (tests point it at a local stand-in)."""
    return TwilioHttpClient(timeout=TIMEOUT)


def active_provider() -> SmsProvider | None:
    return SmsProvider.objects.filter(is_active=True).first()


def deliver(phone: str, text: str, *, provider: SmsProvider | None) -> Sent:
    """Send one text through `provider` (the log when none); raises SmsFailed."""
    if provider is None or provider.kind == SmsProvider.Kind.LOG:
        LogSmsBackend().send(phone, text)
        return Sent(SmsProvider.Kind.LOG, "")
    token = crypto.decrypt(provider.auth_token_encrypted) if provider.auth_token_encrypted else ""
    client = Client(provider.account_sid, token, http_client=http_client())
    sender = (
        {"messaging_service_sid": provider.messaging_service_sid}
        if provider.messaging_service_sid
        else {"from_": provider.from_number}
    )
    try:
        message = client.messages.create(to=phone, body=text, **sender)
    except TwilioRestException as exc:
        raise SmsFailed(f"Twilio {exc.status} {exc.code}: {exc.msg}") from exc
    except (TwilioException, requests.RequestException) as exc:
        raise SmsFailed(f"Twilio unreachable: {exc}") from exc
    return Sent(SmsProvider.Kind.TWILIO, str(message.sid or ""))


def _record(
    phone: str, text: str, *, sent: Sent | None, provider: SmsProvider | None, error: str = "", **links: object
) -> TextMessage:
    kind = sent.provider if sent else (provider.kind if provider else SmsProvider.Kind.LOG)
    return TextMessage.objects.create(
        phone=phone,
        text=text,
        provider=kind,
        status=TextMessage.Status.SENT if sent else TextMessage.Status.FAILED,
        provider_reference=sent.reference if sent else "",
        error=error[:1000],
        **links,
    )


class ConfiguredSmsBackend(SmsBackend):
    """crm.core.sms's backend that uses the provider configured in the admin and records every text (codes in
    it masked, so staff never read a client's confirmation code)."""

    def send(self, phone: str, text: str) -> None:
        provider = active_provider()
        customer = Customer.objects.filter(phone=phone).order_by("pk").first()
        shown = CODE.sub(lambda match: "*" * len(match.group()), text)
        try:
            sent = deliver(phone, text, provider=provider)
        except SmsFailed as exc:
            _record(phone, shown, sent=None, provider=provider, error=str(exc), customer=customer)
            raise
        _record(phone, shown, sent=sent, provider=provider, customer=customer)


def send_text_message(customer: Customer, *, text: str, actor: User) -> TextMessage:
    """Text a client from staff through the active provider; recorded either way, and a sent one stamps the
    client's last contact time. A refusal by the provider answers `sms_failed` (the failed text is kept)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        message = _("Required.") if not text else _("At most %(count)d characters.") % {"count": MAX_TEXT}
        raise DomainError(_("The request has invalid fields."), code="validation_error", fields={"text": [message]})
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFound(_("Client not found."))
    phone = str(customer.phone or "")
    if not phone:
        raise DomainError(
            _("The client has no phone number."), code="no_phone", fields={"customer_id": [_("No phone number.")]}
        )
    provider = active_provider()
    try:
        sent = deliver(phone, text, provider=provider)
    except SmsFailed as exc:
        logger.warning("Text to client %s failed: %s", customer.pk, exc)
        _record(phone, text, sent=None, provider=provider, error=str(exc), customer=customer, sender=actor)
        raise DomainError(_("The text message could not be sent."), code="sms_failed") from exc
    with transaction.atomic():
        record = _record(phone, text, sent=sent, provider=provider, customer=customer, sender=actor)
        Customer.objects.filter(pk=customer.pk).update(last_contact_at=record.created_at)
        record_activity(actor=actor, action="customer.texted", target=customer, data={"text_message_id": record.pk})
    return record


@transaction.atomic
def save_provider(provider: SmsProvider, *, auth_token: str | None = None, actor: User | None = None) -> SmsProvider:
    """Save a provider's settings; a new auth token is encrypted (an empty one keeps the stored token).
    Activating one deactivates the others."""
    if provider.kind == SmsProvider.Kind.TWILIO:
        errors: dict[str, list[str]] = {}
        if not provider.account_sid:
            errors["account_sid"] = [_("Required for Twilio.")]
        if not (provider.from_number or provider.messaging_service_sid):
            errors["from_number"] = [_("Give a sender number or a messaging service SID.")]
        if not (auth_token or provider.auth_token_encrypted):
            errors["auth_token"] = [_("Required for Twilio.")]
        if errors:
            raise DomainError(_("The request has invalid fields."), code="validation_error", fields=errors)
    if auth_token:
        provider.auth_token_encrypted = crypto.encrypt(auth_token)
    if provider.is_active:
        SmsProvider.objects.exclude(pk=provider.pk).filter(is_active=True).update(is_active=False)
    provider.save()
    record_activity(
        actor=actor,
        action="sms_provider.saved",
        target=provider,
        data={"kind": provider.kind, "active": provider.is_active, "token_changed": bool(auth_token)},
    )
    return provider
