"""Email providers' delivery webhooks: stored raw, checked with anymail's own validators, de-duplicated, then
recorded on the outbound log by a task (delivered, bounced, complained, rejected, deferred)."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from crm.communications import providers
from crm.communications.models import EmailDeliveryEvent, EmailMessage, EmailWebhook
from crm.communications.work import EMAIL_WEBHOOKS
from crm.core import work

logger = logging.getLogger(__name__)

VIEWS: dict[str, type[AnymailCoreWebhookView]] = {
    providers.Provider.SENDGRID: SendGridTrackingWebhookView,
    providers.Provider.MAILGUN: MailgunTrackingWebhookView,
    providers.Provider.BREVO: BrevoTrackingWebhookView,
}
# Anymail's normalised event types and the log status each one sets.
STATUSES = {
    "delivered": EmailMessage.Status.DELIVERED,
    "bounced": EmailMessage.Status.BOUNCED,
    "complained": EmailMessage.Status.COMPLAINED,
    "rejected": EmailMessage.Status.REJECTED,
    "failed": EmailMessage.Status.FAILED,
    "deferred": EmailMessage.Status.DEFERRED,
}
# A later report never moves a message back: delivered after bounced stays bounced.
FINAL = {EmailMessage.Status.BOUNCED, EmailMessage.Status.COMPLAINED, EmailMessage.Status.REJECTED}


def _view(provider: str) -> AnymailCoreWebhookView:
    """The provider's anymail webhook view, configured from the settings store (no Django settings needed)."""
    options: dict[str, Any] = {"webhook_secret": providers.value(provider, "webhook_secret") or None}
    if provider == providers.Provider.MAILGUN:
        options["webhook_signing_key"] = providers.value(provider, "webhook_signing_key") or None
        options["api_key"] = providers.value(provider, "api_key") or None
    if provider == providers.Provider.SENDGRID:
        options["webhook_verification_key"] = providers.value(provider, "webhook_verification_key") or None
    with warnings.catch_warnings():
        # anymail warns when a webhook has no basic auth; here that makes every call fail validation instead.
        warnings.simplefilter("ignore")
        return VIEWS[provider](**{name: item for name, item in options.items() if item is not None})


def _verify(provider: str, view: AnymailCoreWebhookView, request: HttpRequest) -> None:
    """Anymail's validators; refuse too when the provider has no secret configured (nothing would be checked)."""
    has_secret = bool(providers.value(provider, "webhook_secret"))
    if provider == providers.Provider.MAILGUN:
        has_secret = has_secret or bool(providers.value(provider, "webhook_signing_key"))
    if provider == providers.Provider.SENDGRID:
        has_secret = has_secret or bool(providers.value(provider, "webhook_verification_key"))
    if not has_secret:
        raise AnymailWebhookValidationFailure("No webhook secret is configured for this provider.")
    view.run_validators(request)


def _normalised(view: AnymailCoreWebhookView, request: HttpRequest) -> list[dict[str, Any]]:
    events = []
    for event in view.parse_events(request):
        events.append(
            {
                "event_type": str(event.event_type or ""),
                "message_id": str(event.message_id or ""),
                "event_id": str(event.event_id or ""),
                "recipient": str(event.recipient or ""),
                "timestamp": event.timestamp.isoformat() if event.timestamp else None,
                "description": str(event.description or event.reject_reason or event.mta_response or ""),
            }
        )
    return events


def receive_email_webhook(provider: str, request: HttpRequest) -> tuple[EmailWebhook, bool]:
    """Store one webhook call, check it and read its events; returns the row and whether it was authentic.

    The same body delivered again returns the stored row (queued again if still unprocessed)."""
    body = request.body
    digest = hashlib.sha256(body).hexdigest()
    existing = EmailWebhook.objects.filter(provider=provider, digest=digest).first()
    if existing is not None:
        work.requeue(EMAIL_WEBHOOKS, [existing.pk])
        return existing, existing.signature_valid
    webhook = EmailWebhook(
        provider=provider,
        body=body.decode("utf-8", errors="replace"),
        headers={name: value for name, value in request.headers.items() if name.lower() != "cookie"},
        digest=digest,
        next_attempt_at=work.first_due(EMAIL_WEBHOOKS),
    )
    view = _view(provider)
    try:
        _verify(provider, view, request)
        webhook.events = _normalised(view, request)
        webhook.signature_valid = True
    except AnymailWebhookValidationFailure as exc:
        webhook.error = str(exc)[:2000]
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        webhook.signature_valid = True
        webhook.error = f"Unreadable body: {exc}"[:2000]
        webhook.processed_at = timezone.now()
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:  # the same call arrived twice at once
        return EmailWebhook.objects.get(provider=provider, digest=digest), webhook.signature_valid
    if webhook.signature_valid and webhook.processed_at is None:
        work.enqueue(EMAIL_WEBHOOKS, webhook.pk)
    return webhook, webhook.signature_valid


@transaction.atomic
def process_email_webhook(webhook_id: int) -> int:
    """Record the webhook's events on the emails they name; returns how many matched. Run twice, once."""
    webhook = EmailWebhook.objects.select_for_update().filter(pk=webhook_id, processed_at=None).first()
    if webhook is None or not webhook.signature_valid:
        return 0
    matched = 0
    for item in webhook.events:
        message_id = item.get("message_id") or ""
        message = (
            EmailMessage.objects.select_for_update().filter(provider_message_id=message_id).first()
            if message_id
            else None
        )
        if message is None:
            continue
        matched += 1
        EmailDeliveryEvent.objects.create(
            message=message,
            webhook=webhook,
            event_type=item.get("event_type", ""),
            event_id=item.get("event_id", "")[:255],
            occurred_at=item.get("timestamp"),
            description=item.get("description", ""),
        )
        status = STATUSES.get(item.get("event_type", ""))
        if status and message.status not in FINAL:
            message.status, message.status_at = status, timezone.now()
            if status in FINAL:
                message.last_error = item.get("description", "")
            message.save(update_fields=["status", "status_at", "last_error", "updated_at"])
    webhook.processed_at = timezone.now()
    webhook.save(update_fields=["processed_at", "updated_at"])
    return matched
