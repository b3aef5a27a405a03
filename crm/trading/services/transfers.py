"""Seed 001 "Transfers — back office" writes: deposit, two-step withdrawal (confirm / cancel), callbacks.

Money moves only through the wallets' services: a deposit is a manual movement (`create_movement`, type
DEPOSIT: completed at once, or pending a second approver above `wallets.second_approval_above`); a withdrawal
is `request_withdrawal` (the amount moves to hold at once, so it cannot be spent twice), confirmed by
`approve_withdrawal` then `complete_withdrawal` (the caller pays it out itself, so nothing waits on a
provider) or cancelled by `cancel_withdrawal` (or `reject_withdrawal` once first-approved): the hold goes back.

`deduplicationId` is the transaction's request key, across all back-office transfers: the same id with the same
account, asset, amount and kind answers the first transfer and moves nothing again; with anything else it is
refused (409 `idempotency_conflict`). A request takes the id's own lock, then its client's, so the same id sent
twice at the same instant, for one account or two, is answered once: the second finds the first.

Confirming a completed withdrawal again, or cancelling a cancelled one, changes nothing (a caller's retry);
any other state is 409 `invalid_transition`; a transfer that is not a withdrawal of that account is 404.

Four eyes: the wallets' rule holds. Nobody confirms a withdrawal they started (`check_four_eyes`): the API
token that started it gets 403 `four_eyes_required`; another staff member's token confirms it. Cancelling
needs no second person (it gives the money back).

`callbackUrl` (optional): after commit, the event `backapi.transfer_callback` (the outbox: retried with
backoff until delivered, once) POSTs JSON to it: `{"event": "deposit" | "withdrawal" | "withdrawal-confirm" |
"withdrawal-cancel", "transfer": <the transfer shape of GET /transfers/{transferId}, as it is at delivery>}`. Only
http(s) URLs to public addresses are accepted (checked on the request for IP literals and again on delivery
against what the name resolves to).

Callbacks are signed when the setting `backapi.callback_secret` (a secret: write-only in the admin) holds the
key shared with the receiver: header `X-Callback-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`. The receiver recomputes it over the raw body and refuses an old `t` (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.core.events import emit
from crm.core.exceptions import NotFound
from crm.core.locks import lock_name
from crm.core.services import get_setting
from crm.customers.models import Customer
from crm.wallets import services as wallet_services
from crm.wallets.exceptions import IdempotencyConflict, InvalidTransition
from crm.wallets.models import Transaction, Wallet

if TYPE_CHECKING:
    from crm.wallets.services.common import Actor

METHOD = "backapi"  # the method of the transactions these endpoints create
CALLBACK_EVENT = "backapi.transfer_callback"
CALLBACK_SECRET_SETTING = "backapi.callback_secret"  # noqa: S105 - the name of the setting
SIGNATURE_HEADER = "X-Callback-Signature"
T = Transaction.Type


class CallbackRefused(Exception):
    """The callback URL leads to a private, loopback or otherwise internal address."""


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_callback_url(url: str) -> str:
    """An http(s) URL whose host is not an internal address (IP literals and `localhost` checked here)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError({"callbackUrl": [_("Give an http(s) URL.")]})
    try:
        internal = _internal(host)
    except ValueError:
        internal = host == "localhost" or host.endswith(".localhost")
    if internal:
        raise ValidationError({"callbackUrl": [_("The callback URL must lead to a public address.")]})
    return url


def resolved_addresses(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None)]


def check_callback_target(url: str) -> None:
    """On delivery: every address the host resolves to is public (no DNS rebinding to an internal one)."""
    host = urlsplit(url).hostname or ""
    if any(_internal(address.split("%")[0]) for address in resolved_addresses(host)):
        raise CallbackRefused(url)


def callback_signature(body: bytes) -> dict[str, str]:
    """The signature header of a callback body, or none while no secret is configured."""
    secret = str(get_setting(CALLBACK_SECRET_SETTING, ""))
    if not secret:
        return {}
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: f"t={timestamp},v1={digest}"}


def _account(caller: Any, account_id: str) -> tuple[Wallet, Customer]:
    """A client account the caller may see, and its client."""
    visible = Customer.objects.visible_to(caller)
    wallet = (
        Wallet.objects.select_related("currency", "customer").filter(number=account_id, customer__in=visible).first()
    )
    if wallet is None or wallet.customer is None:
        raise NotFound(_("No such account."))
    return wallet, wallet.customer


def _lock_request_key(request_key: str) -> None:
    """The id is unique across all back-office transfers, not per client: its own lock, taken before the client's."""
    lock_name(f"backapi.transfer:{request_key}")


def _replayed(request_key: str, *, kind: str, wallet: Wallet, amount: Decimal, asset: str) -> Transaction | None:
    earlier = Transaction.objects.filter(request_key=request_key, method=METHOD).first()
    if earlier is None:
        return None
    same = (
        earlier.type == kind
        and earlier.wallet_id == wallet.pk
        and earlier.currency_id == asset
        and (earlier.original_amount or earlier.amount) == amount
    )
    if not same:
        raise IdempotencyConflict(_("This deduplicationId was already used for another transfer."))
    return earlier


def _check_asset(wallet: Wallet, asset: str) -> None:
    if wallet.currency_id != asset:
        raise ValidationError({"assetId": [_("The account holds %(asset)s.") % {"asset": wallet.currency_id}]})


def _notify(url: str, event: str, txn: Transaction) -> None:
    if url:
        emit(CALLBACK_EVENT, url=url, event=event, transaction_id=txn.pk)


@transaction.atomic
def deposit(
    *, caller: Actor, account_id: str, asset: str, amount: Decimal, request_key: str, callback_url: str = ""
) -> Transaction:
    """Credit the account; the same `request_key` again answers the first deposit."""
    wallet, customer = _account(caller, account_id)
    callback_url = check_callback_url(callback_url)
    _lock_request_key(request_key)  # the same id twice at once, for any account: the second finds the first
    wallet_services.lock_customer(customer)
    earlier = _replayed(request_key, kind=T.DEPOSIT, wallet=wallet, amount=amount, asset=asset)
    if earlier is not None:
        return earlier
    _check_asset(wallet, asset)
    txn = wallet_services.create_movement(
        wallet, kind=T.DEPOSIT, amount=amount, actor=caller, method=METHOD, request_key=request_key
    )
    txn.refresh_from_db()
    _notify(callback_url, "deposit", txn)
    return txn


@transaction.atomic
def withdraw(
    *, caller: Actor, account_id: str, asset: str, amount: Decimal, request_key: str, callback_url: str = ""
) -> Transaction:
    """Start a withdrawal: the amount goes on hold, pending confirmation."""
    wallet, customer = _account(caller, account_id)
    callback_url = check_callback_url(callback_url)
    _lock_request_key(request_key)  # the same id twice at once, for any account: the second finds the first
    wallet_services.lock_customer(customer)
    earlier = _replayed(request_key, kind=T.WITHDRAWAL, wallet=wallet, amount=amount, asset=asset)
    if earlier is not None:
        return earlier
    _check_asset(wallet, asset)
    txn = wallet_services.request_withdrawal(
        customer, wallet=wallet, amount=amount, actor=caller, method=METHOD, request_key=request_key
    )
    txn.refresh_from_db()
    _notify(callback_url, "withdrawal", txn)
    return txn


def _withdrawal(caller: Actor, account_id: str, transfer_id: str) -> Transaction:
    wallet, _client = _account(caller, account_id)
    txn = (
        Transaction.objects.filter(pk=int(transfer_id), wallet=wallet, type=T.WITHDRAWAL).first()
        if transfer_id.isdigit() and len(transfer_id) < 19
        else None
    )
    if txn is None:
        raise NotFound(_("No such withdrawal of this account."))
    return txn


@transaction.atomic
def confirm_withdrawal(*, caller: Actor, account_id: str, transfer_id: str, callback_url: str = "") -> Transaction:
    """Approve a pending withdrawal (four eyes) and complete it; a completed one is answered as it is."""
    txn = _withdrawal(caller, account_id, transfer_id)
    callback_url = check_callback_url(callback_url)
    if txn.status == Transaction.Status.COMPLETED:
        return txn
    if txn.status == Transaction.Status.PENDING:
        txn = wallet_services.approve_withdrawal(txn, actor=caller)
    if txn.status == Transaction.Status.APPROVED:
        txn = wallet_services.complete_withdrawal(txn, actor=caller)
    elif txn.status != Transaction.Status.PENDING:  # pending still: the first of two approvals
        raise InvalidTransition(txn, to=Transaction.Status.COMPLETED)
    _notify(callback_url, "withdrawal-confirm", txn)
    return txn


@transaction.atomic
def cancel_withdrawal(*, caller: Actor, account_id: str, transfer_id: str, callback_url: str = "") -> Transaction:
    """Give a pending withdrawal's hold back to the balance; a cancelled one is answered as it is."""
    txn = _withdrawal(caller, account_id, transfer_id)
    callback_url = check_callback_url(callback_url)
    if txn.status in (Transaction.Status.CANCELLED, Transaction.Status.REJECTED):
        return txn
    if txn.approved_by_id is None:
        txn = wallet_services.cancel_withdrawal(txn, actor=caller)
    else:
        txn = wallet_services.reject_withdrawal(txn, actor=caller, reason=_("Cancelled through the back-office API."))
    _notify(callback_url, "withdrawal-cancel", txn)
    return txn
