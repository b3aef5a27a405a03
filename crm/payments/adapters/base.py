"""The adapter interface every payment provider implements; services call adapters, never providers directly.

A real provider needs one subclass: `start_deposit` (where the client pays), `verify` (is a webhook
authentic) and `parse` (what it says), plus `send_payout` (and `pays_out = True`) when it pays
withdrawals out. Credentials come from the settings store (`payments.<provider code>.<name>`, secrets
encrypted) through `setting()`.

The webhook events a provider may send, in our words (`ProviderEvent.kind`), and what they do:
`payment.succeeded` / `payment.failed` finish a pending deposit; `payment.refunded` /
`payment.charged_back` reverse a completed one; `payout.completed` / `payout.failed` finish a payout
(a failed one gives the money back to the wallet, also after it was completed: a returned payout).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crm.core.services import get_setting

if TYPE_CHECKING:
    from crm.payments.models import PaymentProvider, Payout, ProviderPayment


class ProviderUnavailable(Exception):
    """A transient failure talking to the provider: the task retries with backoff."""


class SignatureRefused(Exception):
    """A webhook refused before it is read: its signature does not match, or it was signed too long ago."""

    def __init__(self, message: str = "Signature check failed.", *, code: str = "bad_signature") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BadPayload(ValueError):
    """The provider's message cannot be read."""


class PayoutRefused(Exception):
    """The provider refused a payout for good (closed account, invalid address ...): the payout has failed."""


@dataclass(frozen=True)
class Checkout:
    url: str
    provider_reference: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """What one webhook says, in our words."""

    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_CHARGED_BACK = "payment.charged_back"
    PAYOUT_COMPLETED = "payout.completed"
    PAYOUT_FAILED = "payout.failed"

    event_id: str
    kind: str
    reference: str
    amount: Decimal | None = None
    currency: str = ""
    provider_reference: str = ""
    reason: str = ""


class PaymentAdapter(ABC):
    """Talks to one provider for one PaymentProvider row."""

    code: str = ""
    # True when `send_payout` pays withdrawals out; otherwise Finance pays them by hand.
    pays_out: bool = False

    def __init__(self, provider: PaymentProvider) -> None:
        self.provider = provider

    def setting(self, name: str, default: Any = None) -> Any:
        return get_setting(f"payments.{self.provider.code}.{name}", default=default)

    @abstractmethod
    def start_deposit(self, payment: ProviderPayment) -> Checkout:
        """Open a payment at the provider; returns where the client pays."""

    @abstractmethod
    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """True when the webhook is authentic (signature, freshness)."""

    def check_signature(self, headers: dict[str, str], body: bytes) -> None:
        """Raise `SignatureRefused` (saying why: bad signature, stale timestamp) unless the webhook is authentic."""
        if not self.verify(headers, body):
            raise SignatureRefused()

    @abstractmethod
    def parse(self, body: bytes) -> ProviderEvent:
        """Read a verified webhook; raises BadPayload when it cannot."""

    def peek_event_id(self, body: bytes) -> str:
        """The event id of a body, best effort (to record forged deliveries)."""
        try:
            return self.parse(body).event_id[:200]
        except (BadPayload, ValueError, TypeError, KeyError):
            return ""

    def send_payout(self, payout: Payout) -> str:
        """Pay `payout.amount` of `payout.currency` to the withdrawal's destination; returns the provider's reference.

        `payout.reference` is the idempotency key: sent again (after a timeout, a lost task), a provider that
        already has a payout with it must answer with that payout and pay nothing more. Raises
        `ProviderUnavailable` when the outcome is unknown (it is sent again later, with the same reference) and
        `PayoutRefused` when the provider will not pay it. The outcome arrives later as a payout webhook.
        """
        raise NotImplementedError(f"{self.code} does not pay out automatically.")
