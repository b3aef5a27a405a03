"""Payouts: an approved withdrawal paid out through its method's provider (states: `Payout`'s docstring).

`start_payout` writes the payout row when the withdrawal is approved (from the `withdrawal.approved` event)
and queues `send_payout_task`; `send_payout` claims the row in its own committed transaction before it
calls the provider, so two tasks never both send it and a crash leaves a row the sweep finds again;
provider webhooks (`apply_payout_event`) and Finance (`retry_payout`, `settle_payout_by_hand`,
`fail_payout_by_hand`, `review_payout`) finish it. Money moves only in `crm.wallets.services`.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import work
from crm.core.events import emit
from crm.core.exceptions import Conflict
from crm.core.services import record_activity
from crm.payments.adapters import PayoutRefused, ProviderEvent, ProviderUnavailable, SandboxAdapter, get_adapter
from crm.payments.models import PaymentProvider, Payout
from crm.payments.work import PAYOUTS
from crm.wallets import services as wallets
from crm.wallets.models import Transaction

Status = Payout.Status


class PayoutStateError(Conflict):
    code = "invalid_payout_transition"

    def __init__(self, payout: Payout, *, to: str) -> None:
        super().__init__(
            f"The payout is {payout.get_status_display().lower()}; it cannot become {Status(to).label.lower()}.",
            fields={"status": [f"Cannot go from {payout.status} to {to}."]},
        )


def _lock(payout: Payout | int) -> Payout:
    pk = payout if isinstance(payout, int) else payout.pk
    return Payout.objects.select_for_update(of=("self",)).select_related("provider", "transaction").get(pk=pk)


def _queue(payout: Payout) -> None:
    """Queue the payout as stored work (crm.core.work): its task after commit, the sweep when that is lost."""
    Payout.objects.filter(pk=payout.pk).update(next_attempt_at=work.first_due(PAYOUTS))
    work.enqueue(PAYOUTS, payout.pk)


def _payload(payout: Payout, **extra) -> dict:
    txn = payout.transaction
    return {
        "payout_id": payout.pk,
        "transaction_id": txn.pk,
        "customer_id": txn.customer_id,
        "amount": str(payout.amount),
        "currency": payout.currency_id,
        "status": payout.status,
        **extra,
    }


def _to_attention(payout: Payout, error: str) -> None:
    payout.status = Status.ATTENTION
    payout.last_error = error
    payout.save(update_fields=["status", "last_error", "updated_at"])
    record_activity(actor=None, action="payout.attention_needed", target=payout.transaction, data={"error": error})
    emit("payout.attention_needed", **_payload(payout, error=error))


@transaction.atomic
def start_payout(transaction_id: int) -> Payout | None:
    """The payout of an approved withdrawal paid through a provider; starting it again returns the same row.

    Withdrawals without a provider are paid by Finance outside the system (no payout). A provider that is
    unknown, switched off or does not pay out automatically puts the payout straight into Finance's queue.
    """
    txn = Transaction.objects.select_for_update(of=("self",)).filter(pk=transaction_id).first()
    if txn is None or txn.type != Transaction.Type.WITHDRAWAL or not txn.provider:
        return None
    existing = Payout.objects.filter(transaction=txn).first()
    if existing is not None:
        return existing
    if txn.status != Transaction.Status.APPROVED:
        return None
    provider = PaymentProvider.objects.filter(code=txn.provider).first()
    payout = Payout.objects.create(
        transaction=txn,
        provider=provider,
        reference=secrets.token_hex(16),
        amount=txn.amount - txn.fee,
        currency_id=txn.currency_id,
    )
    record_activity(actor=None, action="payout.started", target=txn, data={"payout_id": payout.pk})
    problem = _cannot_send(provider)
    if problem:
        _to_attention(payout, problem)
    else:
        _queue(payout)
    return payout


def _cannot_send(provider: PaymentProvider | None) -> str:
    if provider is None:
        return "The withdrawal names a provider that does not exist; pay it by hand or mark it failed."
    if not provider.is_enabled:
        return f"{provider.name} is switched off; send it again once it is on, or pay it by hand."
    try:
        adapter = get_adapter(provider)
    except LookupError as exc:
        return str(exc)
    if not adapter.pays_out:
        return f"{provider.name} does not pay out automatically; pay it by hand, then mark it paid."
    return ""


@transaction.atomic
def _claim(payout_id: int, *, now: dt.datetime) -> Payout | None:
    """Mark the payout as being sent (committed before any provider call); None when it is not to be sent now."""
    payout = Payout.objects.select_for_update(of=("self",)).filter(pk=payout_id).first()
    if payout is None:
        return None
    fresh_claim = payout.status == Status.SENDING and work.lease_held(PAYOUTS, payout.claimed_at, now=now)
    if payout.status not in (Status.QUEUED, Status.SENDING) or fresh_claim:
        return None
    problem = _cannot_send(payout.provider)
    if problem or payout.attempts >= PAYOUTS.timing("max_attempts"):
        _to_attention(payout, problem or f"No answer from the provider after {payout.attempts} attempts.")
        return None
    payout.status = Status.SENDING
    payout.attempts += 1
    payout.claimed_at = now
    payout.next_attempt_at = work.leased_until(PAYOUTS, now=now)
    payout.save(update_fields=["status", "attempts", "claimed_at", "next_attempt_at", "updated_at"])
    return payout


def send_payout(payout_id: int) -> Payout | None:
    """Send a queued payout to its provider, once: claimed first, then sent with our reference as the key.

    A payout that is sent, finished, or claimed by another task right now is left alone. Raises
    `ProviderUnavailable` (the payout is queued again) so the task retries with backoff.
    """
    payout = _claim(payout_id, now=timezone.now())
    if payout is None:
        return None
    adapter = get_adapter(payout.provider)
    try:
        provider_reference = adapter.send_payout(payout)
    except ProviderUnavailable as exc:
        Payout.objects.filter(pk=payout.pk, status=Status.SENDING).update(
            status=Status.QUEUED,
            last_error=str(exc)[:2000],
            next_attempt_at=work.first_due(PAYOUTS),
            updated_at=timezone.now(),
        )
        raise
    except PayoutRefused as exc:
        return _fail(payout.pk, reason=str(exc) or "Refused by the provider", actor=None)
    return _mark_sent(payout.pk, provider_reference=provider_reference)


@transaction.atomic
def _mark_sent(payout_id: int, *, provider_reference: str) -> Payout:
    payout = _lock(payout_id)
    if not payout.provider_reference:
        payout.provider_reference = provider_reference[:200]
    if payout.status == Status.SENDING:
        payout.status = Status.SENT
        payout.sent_at = timezone.now()
        payout.last_error = ""
    payout.save(update_fields=["status", "provider_reference", "sent_at", "last_error", "updated_at"])
    record_activity(actor=None, action="payout.sent", target=payout.transaction, data={"payout_id": payout.pk})
    return payout


@transaction.atomic
def _complete(payout_id: int, *, provider_reference: str, actor) -> Payout:
    payout = _lock(payout_id)
    if payout.status == Status.COMPLETED:
        return payout
    if payout.status not in (Status.SENDING, Status.SENT, Status.ATTENTION):
        raise PayoutStateError(payout, to=Status.COMPLETED)
    payout.provider_reference = provider_reference[:200] or payout.provider_reference
    wallets.complete_withdrawal(payout.transaction, provider_reference=payout.provider_reference, actor=actor)
    payout.status = Status.COMPLETED
    payout.finished_at = timezone.now()
    payout.save(update_fields=["status", "provider_reference", "finished_at", "updated_at"])
    return payout


def _fail(payout_id: int, *, reason: str, actor) -> Payout:
    with transaction.atomic():
        payout = _lock(payout_id)
        if payout.status == Status.FAILED:
            return payout
        if payout.status == Status.QUEUED:
            raise PayoutStateError(payout, to=Status.FAILED)
        wallets.fail_withdrawal(payout.transaction, reason=reason, actor=actor)
        payout.status = Status.FAILED
        payout.last_error = reason[:2000]
        payout.finished_at = timezone.now()
        payout.reviewed_by, payout.reviewed_at = None, None
        payout.save(update_fields=["status", "last_error", "finished_at", "reviewed_by", "reviewed_at", "updated_at"])
        emit("payout.failed", **_payload(payout, reason=reason))
        return payout


@transaction.atomic
def apply_payout_event(payout: Payout, event: ProviderEvent) -> Payout:
    """A provider's `payout.completed` / `payout.failed` for one of our payouts; the same again changes nothing."""
    if event.currency and event.currency != payout.currency_id:
        raise ValidationError(
            {
                "currency": [
                    _("The provider paid %(currency)s, not %(currency_id)s.")
                    % {"currency": event.currency, "currency_id": payout.currency_id}
                ]
            }
        )
    if event.amount is not None and event.amount != payout.amount:
        raise ValidationError(
            {
                "amount": [
                    _("The provider reports %(amount)s, not %(amount2)s.")
                    % {"amount": event.amount, "amount2": payout.amount}
                ]
            }
        )
    if event.kind == ProviderEvent.PAYOUT_COMPLETED:
        return _complete(payout.pk, provider_reference=event.provider_reference, actor=None)
    return _fail(payout.pk, reason=event.reason or "The provider reports the payout failed.", actor=None)


# Finance ---------------------------------------------------------------------------------------------


@transaction.atomic
def retry_payout(payout: Payout, *, actor) -> Payout:
    """Send a payout that needed Finance again (same reference, so the provider pays it once); attempts restart."""
    payout = _lock(payout)
    if payout.status != Status.ATTENTION:
        raise PayoutStateError(payout, to=Status.QUEUED)
    problem = _cannot_send(payout.provider)
    if problem:
        raise Conflict(problem, code="provider_cannot_pay_out")
    payout.status, payout.attempts, payout.last_error = Status.QUEUED, 0, ""
    payout.save(update_fields=["status", "attempts", "last_error", "updated_at"])
    record_activity(actor=actor, action="payout.retried", target=payout.transaction, data={"payout_id": payout.pk})
    _queue(payout)
    return payout


@transaction.atomic
def settle_payout_by_hand(payout: Payout, *, actor, provider_reference: str = "") -> Payout:
    """Finance paid a payout that needed it outside the system: the withdrawal is completed."""
    if _lock(payout).status != Status.ATTENTION:
        raise PayoutStateError(payout, to=Status.COMPLETED)
    payout = _complete(payout.pk, provider_reference=provider_reference, actor=actor)
    record_activity(
        actor=actor, action="payout.paid_by_hand", target=payout.transaction, data={"payout_id": payout.pk}
    )
    return payout


@transaction.atomic
def fail_payout_by_hand(payout: Payout, *, actor, reason: str) -> Payout:
    """Finance gives up on a payout that needed it: the money goes back to the client's wallet."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the payout failed.")]})
    if _lock(payout).status != Status.ATTENTION:
        raise PayoutStateError(payout, to=Status.FAILED)
    payout = _fail(payout.pk, reason=reason.strip(), actor=actor)
    Payout.objects.filter(pk=payout.pk).update(reviewed_by=actor, reviewed_at=timezone.now())
    return Payout.objects.get(pk=payout.pk)


@transaction.atomic
def review_payout(payout: Payout, *, actor) -> Payout:
    """Finance has followed a failed payout up (told the client ...): it leaves the queue. Again: no change."""
    payout = _lock(payout)
    if payout.status != Status.FAILED:
        raise PayoutStateError(payout, to=Status.FAILED)
    if payout.reviewed_at is None:
        payout.reviewed_by, payout.reviewed_at = actor, timezone.now()
        payout.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
        record_activity(
            actor=actor, action="payout.reviewed", target=payout.transaction, data={"payout_id": payout.pk}
        )
    return payout


def sandbox_outcome(payout: Payout, *, kind: str) -> None:
    """The sandbox provider reports a payout's outcome (its signed webhook to our receiver), as staff chose."""
    adapter = get_adapter(payout.provider)
    if not isinstance(adapter, SandboxAdapter):
        raise Conflict(_("Only the sandbox provider takes an outcome from staff."), code="not_sandbox")
    reason = "Failed on the sandbox by staff" if kind == ProviderEvent.PAYOUT_FAILED else ""
    with transaction.atomic():
        adapter.deliver(payout, kind=kind, reason=reason)


# The sweep (crm.core.work: PAYOUTS) -------------------------------------------------------------------


def give_up_payouts(pks: list[int]) -> None:
    """Payouts whose sending crashed `max_attempts` times: to Finance (send again, or settle by hand)."""
    for payout in (
        Payout.objects.select_for_update(of=("self",))
        .select_related("transaction")
        .filter(pk__in=pks, status__in=(Status.QUEUED, Status.SENDING))
    ):
        _to_attention(payout, f"Not sent after {payout.attempts} attempts (see the worker's log).")
