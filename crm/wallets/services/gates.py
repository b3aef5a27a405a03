"""What a client may do with money, checked in one place before every client-initiated movement.

`check_client_operation` is the single gate run before a client's deposit, withdrawal or transfer:
the client's standing, the wallet's switches, the verification level's allowed operations and its
per-currency limits. Checks that other domains add (the portal onboarding steps) go into it too.

Every refusal (403) says what the client must do: a stable `code`, a message, and in `fields` the
missing items and `next_step` (`contact_support`, `use_live_wallet`, `upload_documents`,
`wait_for_review`, `complete_onboarding`). A level that does not allow the operation answers
`verification_required` with `required_level`, `missing_documents` (document groups, the types of one
group joined by "|": "passport|id_card" means a passport or an ID card) and `documents_in_review`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.money import format_money
from crm.core.services import get_setting
from crm.customers.models import Customer, OnboardingStage, VerificationLevel, VerificationLimit
from crm.customers.services import (
    current_level,
    describe_documents,
    ensure_stage_complete,
    requirement_for,
    stage_steps,
)
from crm.wallets.exceptions import LimitExceeded, OperationNotAllowed
from crm.wallets.models import Transaction, Wallet
from crm.wallets.services.ledger import lock_client, stored_instance

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEPOSIT = VerificationLevel.Operation.DEPOSIT
WITHDRAW = VerificationLevel.Operation.WITHDRAW
TRANSFER = VerificationLevel.Operation.TRANSFER

WALLET_SWITCH: dict[str, str] = {DEPOSIT: "can_deposit", WITHDRAW: "can_withdraw", TRANSFER: "can_transfer"}
# The onboarding stage whose steps must be done before the operation (transfers have none).
ONBOARDING_STAGE: dict[str, str] = {
    DEPOSIT: OnboardingStage.BEFORE_DEPOSIT,
    WITHDRAW: OnboardingStage.BEFORE_WITHDRAWAL,
}
# What the money rules read of the client; the rest of the row is not fetched under the lock.
LOCKED_CUSTOMER_FIELDS = ("id", "status", "verification_level_id", "country", "user_id")
COUNTED = [Transaction.Status.PENDING, Transaction.Status.APPROVED, Transaction.Status.COMPLETED]
OPERATION_NOUNS: dict[str, StrOrPromise] = {
    DEPOSIT: gettext_lazy("Deposits"),
    WITHDRAW: gettext_lazy("Withdrawals"),
    TRANSFER: gettext_lazy("Transfers"),
}
CONTACT_SUPPORT = "contact_support"


@dataclass(frozen=True)
class LockedClient:
    """A client row locked for a money movement, with the level its rules follow, both read under the lock."""

    customer: Customer
    level: VerificationLevel | None


def lock_customer(customer: Customer) -> LockedClient:
    """Lock the client row: limit checks of two concurrent requests of one client run one after the other.

    One statement (the ledger's, built once): the row's LOCKED_CUSTOMER_FIELDS and the client's current level."""
    row = lock_client(customer.pk, LOCKED_CUSTOMER_FIELDS)
    if row is None:
        raise Customer.DoesNotExist("Customer matching query does not exist.")
    split = len(LOCKED_CUSTOMER_FIELDS)
    alias = transaction.get_connection().alias
    locked = stored_instance(Customer, alias, dict(zip(LOCKED_CUSTOMER_FIELDS, row[:split], strict=True)))
    level_id, operations = row[split:]
    level = None
    if level_id is not None:
        level = stored_instance(VerificationLevel, alias, {"id": level_id, "allowed_operations": operations})
    return LockedClient(locked, level)


def limits_for(customer: Customer, currency: str) -> VerificationLimit | None:
    level = current_level(customer)
    if level is None:
        return None
    return VerificationLimit.objects.filter(level=level, currency=currency).first()


def check_client_operation(
    client: LockedClient, *, operation: str, wallet: Wallet, amount: Decimal
) -> VerificationLimit | None:
    """Refuse a client's deposit, withdrawal or transfer the rules do not allow; returns the limits applied.

    `client` comes from `lock_customer`: the caller holds the client's row lock, so the period sums cannot race.
    """
    customer, level = client.customer, client.level
    if customer.status in (Customer.Status.BANNED, Customer.Status.DELETED):
        raise OperationNotAllowed(
            _("This account may not move money; contact support."),
            code="account_restricted",
            fields={"account_status": [customer.status], "next_step": [CONTACT_SUPPORT]},
        )
    _check_wallet(wallet, customer=customer, operation=operation)
    _check_onboarding(customer, operation=operation)
    if level is not None and not level.allows(operation):
        raise verification_required(customer, operation=operation)
    limits = VerificationLimit.objects.filter(level=level, currency=wallet.currency_id).first() if level else None
    if limits is not None:
        _check_limits(customer, limits, operation=operation, amount=amount)
    return limits


def verification_required(customer: Customer, *, operation: str) -> OperationNotAllowed:
    """The refusal of an operation the client's level does not allow, naming the level and documents it takes."""
    noun = OPERATION_NOUNS.get(operation, operation)
    requirement = requirement_for(customer, operation)
    if requirement.level is None:
        return OperationNotAllowed(
            _("%(operation)s are not open to your account; contact support.") % {"operation": noun},
            code="verification_required",
            fields={"next_step": [CONTACT_SUPPORT]},
        )
    in_review = set(requirement.in_review)
    to_upload = [group for group in requirement.missing if not set(group) & in_review]
    reviewing = [group for group in requirement.missing if set(group) & in_review]
    parts = [_("%(operation)s need %(level)s.") % {"operation": noun, "level": requirement.level.name}]
    if to_upload:
        parts.append(_("Upload for review: %(documents)s.") % {"documents": describe_documents(to_upload)})
    if reviewing:
        parts.append(_("Being reviewed: %(documents)s.") % {"documents": describe_documents(reviewing)})
    if not requirement.missing:
        parts.append(_("Your documents are approved; compliance will complete your KYC review."))
    return OperationNotAllowed(
        " ".join(str(part) for part in parts),
        code="verification_required",
        fields={
            "required_level": [requirement.level.name],
            "missing_documents": ["|".join(group) for group in requirement.missing],
            "documents_in_review": requirement.in_review,
            "next_step": ["upload_documents" if to_upload else "wait_for_review"],
        },
    )


def _check_onboarding(customer: Customer, *, operation: str) -> None:
    """Refuse (403 onboarding_incomplete, naming the steps) while the stage before the operation is not done."""
    stage = ONBOARDING_STAGE.get(operation)
    # Most brokers configure no step for a stage: one small query, and the full client row only when needed.
    if stage is None or not stage_steps(stage):
        return
    ensure_stage_complete(Customer.objects.get(pk=customer.pk), stage)


def _check_wallet(wallet: Wallet, *, customer: Customer, operation: str) -> None:
    if wallet.customer_id != customer.pk:
        raise OperationNotAllowed(
            _("The wallet is not this client's."), fields={"wallet": [_("Not this client's wallet.")]}
        )
    about = {"wallet": [wallet.number]}
    if not wallet.is_enabled:
        raise OperationNotAllowed(
            _("The wallet is disabled; contact support."),
            code="wallet_disabled",
            fields={**about, "next_step": [CONTACT_SUPPORT]},
        )
    if wallet.is_demo and operation != TRANSFER:
        raise OperationNotAllowed(
            _("Demo accounts take no real money; use a live wallet."),
            code="demo_wallet",
            fields={**about, "next_step": ["use_live_wallet"]},
        )
    if not getattr(wallet, WALLET_SWITCH[operation]):
        raise OperationNotAllowed(
            _("%(operation)s are switched off for this wallet; contact support.")
            % {"operation": OPERATION_NOUNS[operation]},
            code="wallet_operation_off",
            fields={**about, "next_step": [CONTACT_SUPPORT]},
        )


def _period_total(customer: Customer, *, kind: str, currency: str, since: dt.datetime) -> Decimal:
    total = Transaction.objects.filter(
        customer=customer, type=kind, currency_id=currency, status__in=COUNTED, created_at__gte=since
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def _check_limits(customer: Customer, limits: VerificationLimit, *, operation: str, amount: Decimal) -> None:
    now = timezone.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    currency = limits.currency
    checks: list[tuple[Decimal | None, str, dt.datetime, str]] = []
    if operation == DEPOSIT:
        checks.append((limits.daily_deposit, Transaction.Type.DEPOSIT, day, _("daily deposit")))
    elif operation == WITHDRAW:
        checks.append((limits.daily_withdrawal, Transaction.Type.WITHDRAWAL, day, _("daily withdrawal")))
        checks.append((limits.monthly_withdrawal, Transaction.Type.WITHDRAWAL, month, _("monthly withdrawal")))
    else:
        if limits.transfer_min is not None and amount < limits.transfer_min:
            raise LimitExceeded(
                _("The smallest transfer is %(min)s.") % {"min": format_money(limits.transfer_min, currency)},
                fields={"amount": [_("Below the minimum transfer.")]},
            )
        checks.append((limits.daily_internal_transfer, Transaction.Type.WALLET_TRANSFER, day, _("daily transfer")))
    for limit, kind, since, label in checks:
        if limit is None:
            continue
        used = _period_total(customer, kind=kind, currency=currency, since=since)
        if used + amount > limit:
            raise LimitExceeded(
                _("This exceeds your %(label)s limit of %(limit)s (used %(used)s).")
                % {"label": label, "limit": format_money(limit, currency), "used": format_money(used, currency)},
                fields={"amount": [_("Over the limit.")]},
            )


def needs_second_approval(amount: Decimal, currency: str) -> bool:
    """Above the amount in setting `wallets.second_approval_above` ({"USD": "5000", "*": "10000"}), two approve."""
    thresholds = get_setting("wallets.second_approval_above", default={}) or {}
    if not isinstance(thresholds, dict):
        return False
    threshold = thresholds.get(currency, thresholds.get("*"))
    return threshold is not None and amount > Decimal(str(threshold))
