"""Every write on wallets and money. `post_entry` is the only writer of balances.

Callers use `from crm.wallets import services` and `services.<function>`; the modules split the
functions by sub-domain only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from crm.wallets.services.accounts import (
    change_wallet_currency,
    create_wallet,
    default_group,
    has_pending_movement,
    set_wallet_enabled,
    update_wallet,
)
from crm.wallets.services.deposits import (
    charge_back_deposit,
    confirm_deposit,
    fail_deposit,
    refund_deposit,
    start_deposit,
)
from crm.wallets.services.gates import check_client_operation, lock_customer, needs_second_approval
from crm.wallets.services.ledger import Leg, lock_wallets, post_entry, reverse_entry, system_account
from crm.wallets.services.movements import (
    MOVEMENTS,
    approve_movement,
    create_movement,
    reject_movement,
    top_up_demo,
)
from crm.wallets.services.opening import (
    configure_default_wallet,
    default_wallet_group,
    default_wallet_names,
    open_client_wallet,
    open_default_wallet,
)
from crm.wallets.services.rates import (
    check_precision,
    convert,
    current_rate,
    delete_conversion,
    quantize,
    save_conversion,
    save_currency,
    save_exchange_rate,
)
from crm.wallets.services.transfers import transfer_between_wallets
from crm.wallets.services.withdrawals import (
    approve_withdrawal,
    cancel_withdrawal,
    complete_withdrawal,
    fail_withdrawal,
    refund_withdrawal,
    reject_withdrawal,
    request_withdrawal,
)

if TYPE_CHECKING:
    from crm.wallets.models import Transaction
    from crm.wallets.services.common import Actor

__all__ = [
    "MOVEMENTS",
    "Leg",
    "approve_movement",
    "approve_transaction",
    "approve_withdrawal",
    "cancel_withdrawal",
    "change_wallet_currency",
    "charge_back_deposit",
    "check_client_operation",
    "check_precision",
    "complete_withdrawal",
    "configure_default_wallet",
    "confirm_deposit",
    "convert",
    "create_movement",
    "create_wallet",
    "current_rate",
    "default_group",
    "default_wallet_group",
    "default_wallet_names",
    "delete_conversion",
    "fail_deposit",
    "fail_withdrawal",
    "has_pending_movement",
    "lock_customer",
    "lock_wallets",
    "needs_second_approval",
    "open_client_wallet",
    "open_default_wallet",
    "post_entry",
    "quantize",
    "refund_deposit",
    "refund_transaction",
    "refund_withdrawal",
    "reject_movement",
    "reject_transaction",
    "reject_withdrawal",
    "request_withdrawal",
    "reverse_entry",
    "save_conversion",
    "save_currency",
    "save_exchange_rate",
    "set_wallet_enabled",
    "start_deposit",
    "system_account",
    "top_up_demo",
    "transfer_between_wallets",
    "update_wallet",
]


def approve_transaction(
    txn: Transaction, *, actor: Actor, amount: Decimal | None = None, comment: str = ""
) -> Transaction:
    """Approve whatever is pending: a withdrawal (maybe with a new amount) or a movement entered by hand."""
    if txn.type == "WITHDRAWAL":
        return approve_withdrawal(txn, actor=actor, amount=amount, comment=comment)
    return approve_movement(txn, actor=actor, comment=comment)


def reject_transaction(txn: Transaction, *, actor: Actor, reason: str) -> Transaction:
    """Reject whatever is pending: a withdrawal's hold is released; a movement entered by hand never posted."""
    if txn.type == "WITHDRAWAL":
        return reject_withdrawal(txn, actor=actor, reason=reason)
    return reject_movement(txn, actor=actor, reason=reason)


def refund_transaction(txn: Transaction, *, actor: Actor, comment: str = "") -> Transaction:
    """Refund whatever can be: a withdrawal's money back to the wallet, or a deposit back to the payer."""
    if txn.type == "DEPOSIT":
        return refund_deposit(txn, actor=actor, reason=comment)
    return refund_withdrawal(txn, actor=actor, comment=comment)
