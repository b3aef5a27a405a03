"""Opening a client's wallets: one the client asks for, and the default wallet a new client gets at sign-up.

The default wallet's platform and group are settings staff edit (000 Settings "Configure default wallet platform
and group"): `wallets.default_platform` and `wallets.default_group`, both names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.services import get_setting, set_setting
from crm.customers.models import Customer
from crm.wallets.models import AccountGroup, Currency, Platform, Wallet
from crm.wallets.services.accounts import create_wallet, default_group
from crm.wallets.services.movements import top_up_demo

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

DEFAULT_PLATFORM_KEY = "wallets.default_platform"
DEFAULT_GROUP_KEY = "wallets.default_group"


@transaction.atomic
def open_client_wallet(
    customer: Customer,
    *,
    currency: Currency,
    is_demo: bool,
    actor: Actor,
    group: AccountGroup | None = None,
    **values: Any,
) -> Wallet:
    """Open a wallet in `group` (by default the currency's first enabled group); a demo wallet starts with the
    group's first demo amount."""
    group = group or default_group(currency, is_demo=is_demo)
    wallet = create_wallet(customer, currency=currency, is_demo=is_demo, group=group, actor=actor, **values)
    if wallet.is_demo and group and group.demo_start_amounts:
        top_up_demo(wallet, amount=group.demo_start_amounts[0], actor=actor)
    return wallet


@transaction.atomic
def configure_default_wallet(*, platform: Platform, group: AccountGroup, actor: Actor) -> AccountGroup:
    """Set the platform and group of the wallet every new client gets; the group must be an enabled one of
    the platform."""
    if group.platform_id != platform.pk:
        raise ValidationError(
            {
                "group": [
                    _("The group is on %(name)s, not %(name2)s.")
                    % {"name": group.platform.name, "name2": platform.name}
                ]
            }
        )
    if not (group.is_enabled and platform.is_enabled):
        raise ValidationError({"group": [_("The group or its platform is disabled.")]})
    set_setting(DEFAULT_PLATFORM_KEY, platform.name, description="Platform of a new client's wallet.", actor=actor)
    set_setting(DEFAULT_GROUP_KEY, group.name, description="Account group of a new client's wallet.", actor=actor)
    return group


def default_wallet_names() -> tuple[str, str]:
    """(platform name, group name) of a new client's wallet as configured; empty strings when not set."""
    return get_setting(DEFAULT_PLATFORM_KEY, default=""), get_setting(DEFAULT_GROUP_KEY, default="")


def default_wallet_group() -> AccountGroup | None:
    """The configured group of a new client's wallet, or None when none is set or it was disabled since."""
    platform, group = default_wallet_names()
    if not (platform and group):
        return None
    return (
        AccountGroup.objects.select_related("platform", "currency")
        .filter(name=group, platform__name=platform, is_enabled=True, platform__is_enabled=True)
        .first()
    )


@transaction.atomic
def open_default_wallet(customer: Customer) -> Wallet | None:
    """Open the default wallet of a new client; nothing when none is configured or the client has a wallet."""
    group = default_wallet_group()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if group is None or Wallet.objects.of_customer(customer).exists():
        return None
    return open_client_wallet(customer, currency=group.currency, is_demo=group.is_demo, group=group, actor=None)
