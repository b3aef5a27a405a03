"""The built-in sandbox provider: a checkout page on our own site and webhooks signed like a real PSP's.

Signature: header `X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
secret in setting `payments.<code>.webhook_secret` (encrypted; created at first use). Deliveries
older than five minutes are refused, so a captured webhook cannot be replayed later.

Payouts: the sandbox accepts every payout (its reference is derived from ours, so the same payout sent
twice is one payout) and then reports the outcome named by setting `payments.<code>.payout_outcome`:
`completed` (the default), `failed`, or `wait` (nothing until staff pick the outcome on the payout's
admin page). The outcome is a signed `payout.completed` / `payout.failed` webhook like a real PSP's.
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
from django.db import transaction
from django.urls import reverse

from crm.core import jsontext
from crm.core.services import set_setting
from crm.payments.adapters.base import BadPayload, Checkout, PaymentAdapter, ProviderEvent, SignatureRefused

SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300


PAYOUT_OUTCOMES = {"completed": ProviderEvent.PAYOUT_COMPLETED, "failed": ProviderEvent.PAYOUT_FAILED, "wait": ""}


class SandboxAdapter(PaymentAdapter):
    code = "sandbox"
    pays_out = True

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
        try:
            self.check_signature(headers, body)
        except SignatureRefused:
            return False
        return True

    def check_signature(self, headers: dict[str, str], body: bytes) -> None:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError as exc:
            raise SignatureRefused() from exc
        expected = self.sign(body, timestamp=timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise SignatureRefused()
        age = int(time.time()) - timestamp
        if abs(age) > TOLERANCE_SECONDS:
            raise SignatureRefused(
                f"The signature's timestamp is {age} s from now; deliveries signed more than "
                f"{TOLERANCE_SECONDS} s before or after are refused.",
                code="stale_timestamp",
            )

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

    def send_payout(self, payout) -> str:
        outcome = str(self.setting("payout_outcome", "completed") or "completed").lower()
        kind = PAYOUT_OUTCOMES.get(outcome, ProviderEvent.PAYOUT_COMPLETED)
        if kind:
            reason = "Declined by the sandbox (payout_outcome = failed)" if kind == ProviderEvent.PAYOUT_FAILED else ""
            # Like a real PSP, the outcome comes afterwards, as a webhook (once the caller has committed).
            transaction.on_commit(lambda: self.deliver(payout, kind=kind, reason=reason))
        return f"sbx_po_{payout.reference}"

    def deliver(self, payment, *, kind: str, reason: str = "") -> None:
        """Send the signed webhook of `kind` for a deposit or payout to our own receiver, once per kind."""
        from crm.payments.services import receive_webhook

        body, headers = self.webhook(payment, kind=kind, reason=reason, event_id=f"evt_{kind}_{payment.reference}")
        receive_webhook(self.provider.code, headers=headers, body=body, remote_ip="127.0.0.1")

    def webhook(
        self,
        payment,
        *,
        kind: str = ProviderEvent.PAYMENT_SUCCEEDED,
        amount: Decimal | None = None,
        event_id: str = "",
        reason: str = "",
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers the sandbox sends for a payment or a payout (its checkout page, payouts, tests)."""
        prefix = "sbx_po_" if kind.startswith("payout.") else "sbx_"
        body = json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex}",
                "type": kind,
                "reference": payment.reference,
                "payment_id": payment.provider_reference or f"{prefix}{payment.reference}",
                "amount": str(payment.amount if amount is None else amount),
                "currency": payment.transaction.currency_id,
                **({"reason": reason} if reason else {}),
            }
        ).encode()
        return body, {SIGNATURE_HEADER: self.sign(body), "Content-Type": "application/json"}
