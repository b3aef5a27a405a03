"""Opening and changing wallets: group, leverage, currency, switches, enable/disable."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.services import changed_fields, record_activity, snapshot
from crm.customers.models import Customer
from crm.wallets.exceptions import PendingMovement
from crm.wallets.models import AccountGroup, Currency, Transaction, Wallet
from crm.wallets.services.ledger import lock_wallets

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

SWITCHES = ("can_deposit", "can_withdraw", "can_transfer")
EDITABLE = ("caption", "group", "leverage", *SWITCHES)


def _new_number(is_demo: bool) -> str:
    return f"{'D' if is_demo else 'L'}{timezone.now():%y}{secrets.randbelow(10**8):08d}"


def _check_leverage(group: AccountGroup | None, leverage: int | None) -> None:
    if group is not None and leverage is not None and group.leverages and leverage not in group.leverages:
        raise ValidationError(
            {"leverage": [_("The group allows %(value)s.") % {"value": ", ".join(map(str, group.leverages))}]}
        )


def default_group(currency: Currency, *, is_demo: bool) -> AccountGroup | None:
    return (
        AccountGroup.objects.filter(currency=currency, is_demo=is_demo, is_enabled=True)
        .order_by("priority", "pk")
        .first()
    )


@transaction.atomic
def create_wallet(
    customer: Customer,
    *,
    currency: Currency,
    actor: Actor,
    is_demo: bool = False,
    group: AccountGroup | None = None,
    leverage: int | None = None,
    wallet_type: str | None = None,
    caption: str = "",
) -> Wallet:
    """Open a wallet or trading account for a client; its currency follows the group when one is given."""
    if group is not None:
        if group.currency_id != currency.code:
            raise ValidationError({"group": [_("The group is in another currency.")]})
        if group.is_demo != is_demo:
            raise ValidationError(
                {"group": [_("The group is for demo accounts only.") if group.is_demo else _("Live only.")]}
            )
    if not currency.is_enabled:
        raise ValidationError({"currency": [_("The currency is disabled.")]})
    leverage = leverage or (group.default_leverage if group else None)
    _check_leverage(group, leverage)
    kind = wallet_type or (Wallet.Type.DEMO if is_demo else Wallet.Type.TRADE if group else Wallet.Type.PERSONAL)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                wallet = Wallet.objects.create(
                    customer=customer,
                    number=_new_number(is_demo),
                    caption=caption,
                    currency=currency,
                    type=kind,
                    platform=group.platform if group else None,
                    group=group,
                    leverage=leverage,
                    is_demo=is_demo,
                    can_withdraw=not is_demo,
                    can_deposit=not is_demo,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 5 collisions in a 10^8 space
        raise IntegrityError(_("Could not find a free wallet number."))
    record_activity(actor=actor, action="wallet.created", target=wallet, data={"customer": customer.pk})
    emit("wallet.created", wallet_id=wallet.pk, customer_id=customer.pk, is_demo=is_demo, currency=currency.code)
    return wallet


def has_pending_movement(wallet: Wallet) -> bool:
    return Transaction.objects.pending().touching(wallet).exists()


@transaction.atomic
def update_wallet(wallet: Wallet, *, actor: Actor, **values: Any) -> Wallet:
    """Change group, leverage, caption or switches. A group change waits until no movement is pending."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: ["Not editable."] for name in unknown})
    wallet = lock_wallets([wallet])[wallet.pk]
    before = snapshot(wallet, list(values))
    group = values.get("group", wallet.group)
    if "group" in values and group != wallet.group:
        if has_pending_movement(wallet):
            raise PendingMovement(_("A money movement on this account is pending; change the group afterwards."))
        if group is not None and (group.currency_id != wallet.currency_id or group.is_demo != wallet.is_demo):
            raise ValidationError({"group": [_("The group must match the account's currency and demo/live kind.")]})
    for name, value in values.items():
        setattr(wallet, name, value)
    if "group" in values:
        wallet.platform = group.platform if group else wallet.platform
    _check_leverage(wallet.group, wallet.leverage)
    changes = changed_fields(wallet, before)
    if changes:
        wallet.save(update_fields=[*values, "platform", "updated_at"])
        record_activity(actor=actor, action="wallet.updated", target=wallet, changes=changes)
    return wallet


@transaction.atomic
def change_wallet_currency(wallet: Wallet, *, currency: Currency, actor: Actor) -> Wallet:
    """Change the currency of an account with no money and nothing pending on it."""
    wallet = lock_wallets([wallet])[wallet.pk]
    if has_pending_movement(wallet):
        raise PendingMovement(_("A money movement on this account is pending; change the currency afterwards."))
    if wallet.balance or wallet.credit or wallet.on_hold or wallet.postings.exists():
        raise ValidationError({"currency": [_("Only an account that never held money can change currency.")]})
    before = snapshot(wallet, ["currency"])
    wallet.currency = currency
    wallet.save(update_fields=["currency", "updated_at"])
    record_activity(actor=actor, action="wallet.updated", target=wallet, changes=changed_fields(wallet, before))
    return wallet


@transaction.atomic
def set_wallet_enabled(wallet: Wallet, *, enabled: bool, actor: Actor) -> Wallet:
    """Enable or disable a wallet; doing it twice changes nothing the second time."""
    wallet = lock_wallets([wallet])[wallet.pk]
    if wallet.is_enabled == enabled:
        return wallet
    wallet.is_enabled = enabled
    wallet.save(update_fields=["is_enabled", "updated_at"])
    record_activity(actor=actor, action="wallet.enabled" if enabled else "wallet.disabled", target=wallet)
    return wallet
