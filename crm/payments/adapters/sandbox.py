"""The built-in sandbox provider: a checkout page on our own site and webhooks signed like a real PSP's.

Signature: header `X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
secret in setting `payments.<code>.webhook_secret` (encrypted; created at first use). Deliveries
older than five minutes are refused, so a captured webhook cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from crm.core import jsontext
from crm.core.services import set_setting
from crm.payments.adapters.base import BadPayload, Checkout, PaymentAdapter, ProviderEvent

SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300


class SandboxAdapter(PaymentAdapter):
    code = "sandbox"

    def secret(self) -> str:
        value = self.setting("webhook_secret")
        if not value:
            value = secrets.token_urlsafe(32)
            set_setting(
                f"payments.{self.provider.code}.webhook_secret",
                value,
                is_secret=True,
                description="Sandbox PSP webhook signing secret",
                actor=None,
            )
        return value

    def sign(self, body: bytes, *, timestamp: int | None = None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(self.secret().encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    def start_deposit(self, payment) -> Checkout:
        path = reverse("payments:sandbox-checkout", args=[payment.reference])
        return Checkout(url=f"{settings.SITE_URL.rstrip('/')}{path}", provider_reference=f"sbx_{payment.reference}")

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            return False
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            return False
        expected = self.sign(body, timestamp=timestamp).split("v1=", 1)[1]
        return hmac.compare_digest(expected, parts.get("v1", ""))

    def parse(self, body: bytes) -> ProviderEvent:
        try:
            data = jsontext.loads(body)
            amount = Decimal(str(data["amount"])) if data.get("amount") is not None else None
            return ProviderEvent(
                event_id=str(data["id"]),
                kind=str(data["type"]),
                reference=str(data["reference"]),
                amount=amount,
                currency=str(data.get("currency", "")),
                provider_reference=str(data.get("payment_id", "")),
                reason=str(data.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise BadPayload(f"Unreadable sandbox webhook: {exc}") from exc

    def webhook(
        self,
        payment,
        *,
        kind: str = ProviderEvent.PAYMENT_SUCCEEDED,
        amount: Decimal | None = None,
        event_id: str = "",
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers the sandbox sends for a payment (used by its checkout page and tests)."""
        txn = payment.transaction
        body = json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex}",
                "type": kind,
                "reference": payment.reference,
                "payment_id": payment.provider_reference or f"sbx_{payment.reference}",
                "amount": str(txn.amount if amount is None else amount),
                "currency": txn.currency_id,
            }
        ).encode()
        return body, {SIGNATURE_HEADER: self.sign(body), "Content-Type": "application/json"}
