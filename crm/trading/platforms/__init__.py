"""Platform adapters: the interface (`base.TradingPlatform`), the built-in platform, the 001 REST client, and the
registry that picks one from an adapter's type. An account group's trading settings name its adapter; none (or a
`builtin` one) is the built-in platform. Another platform plugs in with `register(type, factory)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm.trading.models import GroupTradingSettings, PlatformAdapter
from crm.trading.platforms.base import PlatformError, PlatformUnavailable, TraderSession, TradingPlatform
from crm.trading.platforms.builtin import BuiltinPlatform
from crm.trading.platforms.rest001 import Rest001Platform
from crm.wallets.models import Wallet

Factory = Callable[[PlatformAdapter], TradingPlatform]

PLATFORMS: dict[str, Factory] = {
    PlatformAdapter.Type.BUILTIN: BuiltinPlatform,
    PlatformAdapter.Type.REST: Rest001Platform,
}


class NoPlatform(PlatformError):
    """The adapter's type has no implementation registered (or the adapter is disabled)."""


def register(adapter_type: str, factory: Factory) -> None:
    """Make `factory(adapter)` the implementation of adapters of `adapter_type` (e.g. "mt5")."""
    PLATFORMS[adapter_type] = factory


def platform_of(adapter: PlatformAdapter | None, *, actor: Any = None) -> TradingPlatform:
    """The implementation of an adapter; None is the built-in platform."""
    if adapter is None or adapter.type == PlatformAdapter.Type.BUILTIN:
        return BuiltinPlatform(adapter, actor=actor)
    if not adapter.is_enabled:
        raise NoPlatform(f"The adapter {adapter.name} is disabled.")
    factory = PLATFORMS.get(adapter.type)
    if factory is None:
        raise NoPlatform(f"No implementation is registered for adapters of type {adapter.type}.")
    return factory(adapter)


def adapter_of(account: Wallet) -> PlatformAdapter | None:
    """The adapter the account's group trades on (its trading settings'), None for the built-in platform."""
    if account.group_id is None:
        return None
    found = GroupTradingSettings.objects.select_related("adapter").filter(group_id=account.group_id).first()
    return found.adapter if found is not None else None


def platform_for(account: Wallet, *, actor: Any = None) -> TradingPlatform:
    """The platform a trading account lives on, chosen by its account group's adapter setting."""
    return platform_of(adapter_of(account), actor=actor)


__all__ = [
    "PLATFORMS",
    "BuiltinPlatform",
    "NoPlatform",
    "PlatformError",
    "PlatformUnavailable",
    "Rest001Platform",
    "TraderSession",
    "TradingPlatform",
    "adapter_of",
    "platform_for",
    "platform_of",
    "register",
]
