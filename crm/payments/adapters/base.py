"""The adapter interface every payment provider implements; services call adapters, never providers directly.

A real provider needs one subclass: `start_deposit` (where the client pays), `verify` (is a webhook
authentic) and `parse` (what it says), plus `send_payout` when it pays withdrawals out. Credentials
come from the settings store (`payments.<provider code>.<name>`, secrets encrypted) through `setting()`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crm.core.services import get_setting

if TYPE_CHECKING:
    from crm.payments.models import PaymentProvider, ProviderPayment
    from crm.wallets.models import Transaction


class ProviderUnavailable(Exception):
    """A transient failure talking to the provider: the task retries with backoff."""


class BadPayload(ValueError):
    """The provider's message cannot be read."""


@dataclass(frozen=True)
class Checkout:
    url: str
    provider_reference: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """What one webhook says, in our words."""

    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
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

    @abstractmethod
    def parse(self, body: bytes) -> ProviderEvent:
        """Read a verified webhook; raises BadPayload when it cannot."""

    def peek_event_id(self, body: bytes) -> str:
        """The event id of a body, best effort (to record forged deliveries)."""
        try:
            return self.parse(body).event_id[:200]
        except (BadPayload, ValueError, TypeError, KeyError):
            return ""

    def send_payout(self, transaction: Transaction) -> str:
        """Pay an approved withdrawal out; returns the provider's reference."""
        raise NotImplementedError(f"{self.code} does not pay out automatically.")
