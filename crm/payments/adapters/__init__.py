"""Payment adapters by name; a provider row names its adapter."""

from __future__ import annotations

from crm.payments.adapters.base import (
    BadPayload,
    Checkout,
    PaymentAdapter,
    PayoutRefused,
    ProviderEvent,
    ProviderUnavailable,
    SignatureRefused,
)
from crm.payments.adapters.sandbox import SandboxAdapter

ADAPTERS: dict[str, type[PaymentAdapter]] = {SandboxAdapter.code: SandboxAdapter}


def get_adapter(provider) -> PaymentAdapter:
    try:
        return ADAPTERS[provider.adapter](provider)
    except KeyError as exc:
        raise LookupError(f"No payment adapter named {provider.adapter!r}.") from exc


__all__ = [
    "ADAPTERS",
    "BadPayload",
    "Checkout",
    "PaymentAdapter",
    "PayoutRefused",
    "ProviderEvent",
    "ProviderUnavailable",
    "SandboxAdapter",
    "SignatureRefused",
    "get_adapter",
]
