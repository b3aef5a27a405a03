"""Pieces shared by the movement services: locking a transaction, request keys, four eyes, events."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.actors import user_or_none
from crm.core.events import emit
from crm.wallets.exceptions import FourEyesRequired, IdempotencyConflict
from crm.wallets.models import Transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from crm.users.models import User

    # Who acts: a staff or portal user, an anonymous caller (a webhook), or nobody (a task).
    Actor = User | AnonymousUser | None


def lock_transaction(txn: Transaction) -> Transaction:
    return Transaction.objects.select_for_update(of=("self",)).select_related("wallet", "currency").get(pk=txn.pk)


def replayed(customer_id: int | None, request_key: str, *, kind: str, amount: Decimal) -> Transaction | None:
    """The transaction an earlier call with this request key made; refused when it was a different request."""
    if not request_key:
        return None
    # customer_id None: the requests of no client (IS NULL).
    existing = Transaction.objects.filter(customer_id=customer_id, request_key=request_key).first()  # type: ignore[misc]
    if existing is None:
        return None
    if existing.type != kind or (existing.original_amount or existing.amount) != amount:
        raise IdempotencyConflict(_("This idempotency key was already used for another request."))
    return existing


def check_four_eyes(txn: Transaction, actor: Actor) -> None:
    """Nobody approves a movement they requested or created, or approves it twice."""
    if actor is None:
        return
    if actor.pk in (txn.requested_by_id, txn.created_by_id):
        raise FourEyesRequired(_("You requested or created this movement; another member of Finance must approve it."))
    if actor.pk == txn.approved_by_id:
        raise FourEyesRequired(_("You already approved this movement; a second approver is needed."))


def stamp(txn: Transaction, step: str, actor: Actor) -> list[str]:
    """Set `<step>_by` / `<step>_at`; returns the fields to save."""
    fields = [f"{step}_at"]
    setattr(txn, f"{step}_at", timezone.now())
    if hasattr(txn, f"{step}_by_id"):
        setattr(txn, f"{step}_by", user_or_none(actor))
        fields.append(f"{step}_by")
    return fields


def payload(txn: Transaction, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": txn.pk,
        "type": txn.type,
        "status": txn.status,
        "customer_id": txn.customer_id,
        "wallet_id": txn.wallet_id,
        "amount": str(txn.amount),
        "currency": txn.currency_id,
        **extra,
    }


def emit_transaction(name: str, txn: Transaction, **extra: Any) -> None:
    emit(name, **payload(txn, **extra))
