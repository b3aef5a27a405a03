"""KYC through a provider: starting a session for the portal, provider settings, and SumSub webhooks."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import jsontext, work
from crm.core.exceptions import DomainError
from crm.core.services import get_setting, set_setting
from crm.customers import kyc_providers as providers
from crm.customers.exceptions import KycIncomplete, KycProviderError, WebhookRefused
from crm.customers.models import Customer, Document, KycWebhook
from crm.customers.services.kyc import approve_kyc, reject_kyc, reset_kyc
from crm.customers.work import KYC_WEBHOOKS
from crm.users.models import User

logger = logging.getLogger(__name__)


def start_kyc(customer: Customer) -> providers.KycSession:
    """What the portal needs to start KYC with the configured provider (a SumSub SDK token, or manual upload)."""
    if customer.kyc_status == Customer.KycStatus.APPROVED:
        raise DomainError(_("KYC is already approved."), code="kyc_already_approved", fields={})
    return providers.get_provider().start(customer)


@transaction.atomic
def configure_sumsub(*, actor: User | None, enabled: bool = True, **values: str) -> None:
    """Save SumSub's settings (secrets encrypted) and make it the KYC provider, or switch back to manual."""
    unknown = set(values) - set(providers.SUMSUB_SETTINGS)
    if unknown:
        raise DomainError(
            _("Unknown settings: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    for name, value in values.items():
        key, secret = providers.SUMSUB_SETTINGS[name]
        set_setting(key, value, is_secret=secret, actor=actor, description=f"SumSub {name}")
    set_setting(
        providers.PROVIDER_SETTING,
        providers.SUMSUB if enabled else providers.MANUAL,
        actor=actor,
        description="KYC provider: manual or sumsub",
    )


def sumsub_settings() -> dict[str, Any]:
    """SumSub's settings as staff may read them: plain values, and only whether each secret is set."""
    shown: dict[str, Any] = {"enabled": providers.current_provider_name() == providers.SUMSUB}
    for name, (key, secret) in providers.SUMSUB_SETTINGS.items():
        value = get_setting(key, default="")
        shown[f"{name}_set" if secret else name] = bool(value) if secret else value
    return shown


# Webhooks ------------------------------------------------------------------------------------


def receive_sumsub_webhook(body: bytes, *, digest: str, algorithm: str) -> tuple[KycWebhook, bool]:
    """Check the body's signature with the webhook secret, then store it once and queue its processing.

    Returns (webhook, created); the same delivery again is not stored or processed twice. The webhook is
    stored work (crm.core.work): its task is sent after commit, best effort, and the sweep sends it again
    when that message is lost; a delivery again of one still unprocessed queues it again.
    """
    secret = get_setting("sumsub.webhook_secret_key", default="")
    if not secret:
        raise WebhookRefused(_("SumSub webhooks are not configured."), code="webhook_not_configured")
    expected = providers.sumsub_webhook_digest(body, secret=secret, algorithm=algorithm)
    if expected is None or not digest or not hmac.compare_digest(expected, digest.strip().lower()):
        raise WebhookRefused(_("The webhook signature does not match."))
    try:
        payload = jsontext.loads(body)
    except ValueError as exc:
        raise DomainError(_("The body is not JSON."), code="invalid_body") from exc
    if not isinstance(payload, dict):
        raise DomainError(_("The body is not a JSON object."), code="invalid_body")
    try:
        with transaction.atomic():
            webhook, created = KycWebhook.objects.get_or_create(
                provider=KycWebhook.Provider.SUMSUB,
                digest=expected,
                defaults={
                    "body": body.decode(),
                    "event_type": str(payload.get("type", ""))[:60],
                    "external_user_id": str(payload.get("externalUserId", ""))[:100],
                    "next_attempt_at": work.first_due(KYC_WEBHOOKS),
                },
            )
    except IntegrityError:  # the same delivery, stored by a concurrent request
        return KycWebhook.objects.get(provider=KycWebhook.Provider.SUMSUB, digest=expected), False
    if created:
        work.enqueue(KYC_WEBHOOKS, webhook.pk)
    else:
        # Delivered again: a first copy still unprocessed (its message lost) is queued again now.
        work.requeue(KYC_WEBHOOKS, [webhook.pk])
    return webhook, created


def _fetch_documents(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The reviewed document files of an applicant, downloaded from SumSub (outside any transaction)."""
    applicant_id, inspection_id = payload.get("applicantId"), payload.get("inspectionId")
    if not (applicant_id and inspection_id):
        return []
    client = providers.SumsubClient.from_settings()
    files = []
    for doc_set in client.required_documents(str(applicant_id)).values():
        if not isinstance(doc_set, dict):
            continue
        review = doc_set.get("reviewResult") or {}
        for image_id in doc_set.get("imageIds") or []:
            files.append(
                {
                    "reference": f"sumsub:{image_id}",
                    "type": providers.SUMSUB_DOCUMENT_TYPES.get(doc_set.get("idDocType", ""), Document.Type.OTHER),
                    "approved": review.get("reviewAnswer") == "GREEN",
                    "reason": (review.get("moderationComment") or "")[:255],
                    "content": client.image(str(inspection_id), str(image_id)),
                }
            )
    return files


def _extension(content: bytes) -> str:
    for suffix, signatures in ((".pdf", [b"%PDF"]), (".png", [b"\x89PNG"]), (".jpg", [b"\xff\xd8\xff"])):
        if any(content.startswith(signature) for signature in signatures):
            return suffix
    return ".bin"


def _store_documents(customer: Customer, files: list[dict[str, Any]]) -> None:
    known = set(
        Document.objects.filter(provider_reference__in=[f["reference"] for f in files]).values_list(
            "provider_reference", flat=True
        )
    )
    now = timezone.now()
    for item in files:
        if item["reference"] in known:
            continue
        document = Document(
            customer=customer,
            document_type=item["type"],
            original_name=item["reference"],
            size=len(item["content"]),
            status=Document.Status.APPROVED if item["approved"] else Document.Status.REJECTED,
            rejection_reason="" if item["approved"] else item["reason"] or "Rejected by SumSub",
            reviewed_at=now,
            provider_reference=item["reference"],
        )
        document.file.save(f"sumsub{_extension(item['content'])}", ContentFile(item["content"]), save=False)
        document.save()


def process_kyc_webhook(webhook_id: int) -> None:
    """Apply a stored SumSub webhook to the client once: documents stored, KYC status mapped.

    applicantPending -> pending review; applicantReviewed GREEN -> approved (at the level the documents
    earn), RED -> rejected; applicantReset -> reset. Other types are recorded and left alone.
    """
    webhook = KycWebhook.objects.filter(pk=webhook_id, processed_at__isnull=True).first()
    if webhook is None:
        return
    payload = jsontext.loads(webhook.body)
    kind = payload.get("type")
    reviewed = kind == "applicantReviewed"
    try:
        files = _fetch_documents(payload) if reviewed else []
    except KycProviderError as exc:
        # Not transient (credentials, unknown applicant): kept unprocessed with the reason, for staff to see.
        KycWebhook.objects.filter(pk=webhook_id).update(error=exc.message)
        return
    with transaction.atomic():
        webhook = KycWebhook.objects.select_for_update().filter(pk=webhook_id, processed_at__isnull=True).first()
        if webhook is None:
            return
        customer_id = providers.customer_id_from_external(payload.get("externalUserId", ""))
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
        webhook.processed_at = timezone.now()
        if customer is None:
            webhook.error = "Unknown client."
            webhook.save(update_fields=["processed_at", "error"])
            return
        webhook.error = _apply_result(customer, kind, payload, files)
        webhook.save(update_fields=["processed_at", "error"])


def _apply_result(customer: Customer, kind: str, payload: dict[str, Any], files: list[dict[str, Any]]) -> str:
    """Apply the review; returns what staff must know when it could not be applied in full ("" otherwise)."""
    if kind == "applicantPending":
        if customer.kyc_status in (Customer.KycStatus.NOT_STARTED, Customer.KycStatus.REJECTED):
            Customer.objects.filter(pk=customer.pk).update(kyc_status=Customer.KycStatus.PENDING)
    elif kind == "applicantReviewed":
        _store_documents(customer, files)
        result = payload.get("reviewResult") or {}
        if result.get("reviewAnswer") == "GREEN":
            try:
                approve_kyc(customer, actor=None)
            except KycIncomplete as exc:
                # SumSub is satisfied but our level needs more: the client waits in review for compliance.
                Customer.objects.filter(pk=customer.pk).update(kyc_status=Customer.KycStatus.PENDING)
                return f"Not approved: {exc.message}"
        elif result.get("reviewAnswer") == "RED" and customer.kyc_status != Customer.KycStatus.APPROVED:
            reason = result.get("moderationComment") or ", ".join(result.get("rejectLabels") or [])
            reject_kyc(customer, actor=None, reason=reason)
    elif kind == "applicantReset":
        reset_kyc(customer, actor=None)
    return ""
