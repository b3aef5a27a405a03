"""What a provider may tell us about a payment or payout, and what happens when it contradicts what we recorded.

The state machine of provider events (the only transitions a provider may make; staff make others in the admin):

    deposit (wallets.Transaction)       payout (payments.Payout)
    payment.succeeded   pending -> completed              payout.completed  sending, sent, attention -> completed
    payment.failed      pending -> failed                 payout.failed     sending, sent, attention,
    payment.refunded    completed -> refunded                               completed (a returned payout) -> failed
    payment.charged_back completed -> charged_back

The same event again on the status it leads to changes nothing (a repeated delivery). Any other event
contradicts the recorded outcome: "succeeded" after "failed" (or after staff rejected the deposit), "failed"
after "completed", "completed" after a payout "failed" and its money went back, and so on; whichever of two
contradicting events is processed first wins (each is processed under the row's lock), and the other is not
applied: no money moves, the webhook is marked `conflict`, and a `ProviderContradiction` with both payloads
goes to Finance's queue (admin: Money, Provider contradictions, to review), with the outbox event
`payment.contradicted` for whoever subscribes (emails, chat).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm.core import jsontext
from crm.core.events import emit
from crm.core.exceptions import Conflict
from crm.core.services import record_activity
from crm.payments.adapters import ProviderEvent
from crm.payments.models import Payout, ProviderContradiction, ProviderPayment, WebhookEvent

DEPOSIT_TRANSITIONS: dict[str, tuple[set[str], str]] = {
    ProviderEvent.PAYMENT_SUCCEEDED: ({"pending"}, "completed"),
    ProviderEvent.PAYMENT_FAILED: ({"pending"}, "failed"),
    ProviderEvent.PAYMENT_REFUNDED: ({"completed"}, "refunded"),
    ProviderEvent.PAYMENT_CHARGED_BACK: ({"completed"}, "charged_back"),
}
PAYOUT_TRANSITIONS: dict[str, tuple[set[str], str]] = {
    ProviderEvent.PAYOUT_COMPLETED: ({"sending", "sent", "attention"}, "completed"),
    ProviderEvent.PAYOUT_FAILED: ({"sending", "sent", "attention", "completed"}, "failed"),
}


def contradicted_status(kind: str, target: ProviderPayment | Payout) -> str:
    """The recorded status the event contradicts, or "" when the provider may make this transition (or repeats
    it). Unknown event kinds are not contradictions (processing refuses them)."""
    table = PAYOUT_TRANSITIONS if isinstance(target, Payout) else DEPOSIT_TRANSITIONS
    if kind not in table:
        return ""
    status = target.status if isinstance(target, Payout) else target.transaction.status
    sources, result = table[kind]
    return "" if status in sources or status == result else status


def _payload(webhook: WebhookEvent | None) -> dict:
    if webhook is None:
        return {}
    try:
        body = jsontext.loads(webhook.body)
    except ValueError:
        body = webhook.body
    return {"webhook_id": webhook.pk, "event_id": webhook.event_id, "received_at": webhook.received_at.isoformat(),
            "body": body}  # fmt: skip


@transaction.atomic
def record_contradiction(
    webhook: WebhookEvent, *, kind: str, reference: str, target: ProviderPayment | Payout, recorded: str
) -> ProviderContradiction:
    """Keep the contradicting event for Finance with the payload that set the recorded outcome (when one did)."""
    earlier = (
        WebhookEvent.objects.filter(
            provider_id=webhook.provider_id, reference=reference, status=WebhookEvent.Status.PROCESSED
        )
        .exclude(pk=webhook.pk)
        .order_by("-processed_at", "-pk")
        .first()
    )
    contradiction = ProviderContradiction.objects.create(
        webhook=webhook,
        earlier_webhook=earlier,
        transaction_id=target.transaction_id,
        recorded_status=recorded,
        reported_event=kind,
        recorded_payload=_payload(earlier) or {"note": "The recorded outcome was not set by a provider webhook."},
        reported_payload=_payload(webhook),
    )
    record_activity(
        actor=None,
        action="payment.contradicted",
        target=target.transaction,
        data={"webhook_id": webhook.pk, "recorded": recorded, "reported": kind},
    )
    emit(
        "payment.contradicted",
        contradiction_id=contradiction.pk,
        transaction_id=target.transaction_id,
        webhook_id=webhook.pk,
        earlier_webhook_id=earlier.pk if earlier else None,
        recorded_status=recorded,
        reported_event=kind,
    )
    return contradiction


@transaction.atomic
def review_contradiction(contradiction: ProviderContradiction, *, actor, note: str) -> ProviderContradiction:
    """Finance has looked into it (with the provider, and corrected the money by hand where needed)."""
    contradiction = ProviderContradiction.objects.select_for_update().get(pk=contradiction.pk)
    if contradiction.reviewed_at is not None:
        raise Conflict("This contradiction was already reviewed.", code="already_reviewed")
    contradiction.reviewed_by, contradiction.reviewed_at = actor, timezone.now()
    contradiction.review_note = (note or "").strip()
    contradiction.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    record_activity(
        actor=actor,
        action="payment.contradiction_reviewed",
        target=contradiction.transaction,
        data={"contradiction_id": contradiction.pk, "note": contradiction.review_note},
    )
    return contradiction
