"""Refusals of the money rules, each with a stable code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from crm.core.exceptions import Conflict, DomainError, PermissionDenied

if TYPE_CHECKING:
    from crm.wallets.models import Transaction


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, transaction: Transaction, *, to: str) -> None:
        super().__init__(
            _("%(transaction)s is %(status)s; it cannot become %(to)s.")
            % {"transaction": transaction, "status": transaction.status, "to": to},
            fields={"status": [_("Cannot go from %(status)s to %(to)s.") % {"status": transaction.status, "to": to}]},
        )


class OperationNotAllowed(PermissionDenied):
    code = "operation_not_allowed"


class LimitExceeded(DomainError):
    code = "limit_exceeded"


class PendingMovement(Conflict):
    code = "pending_movement"


class NoExchangeRate(DomainError):
    code = "no_exchange_rate"


class FourEyesRequired(PermissionDenied):
    code = "four_eyes_required"


class PayoutUnderWay(Conflict):
    code = "payout_under_way"
