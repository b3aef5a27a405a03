"""Payments: methods offered to a client, deposits through a provider, withdrawals by method, whitelisted
addresses, provider settings, and webhooks (stored raw, signature-checked, de-duplicated, processed by a task)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import work
from crm.core.events import emit
from crm.core.exceptions import Conflict, DomainError, NotFound
from crm.core.money import ROUNDING_CHARGE, format_money, to_decimal
from crm.core.services import changed_fields, record_activity, set_setting, snapshot
from crm.customers.models import Customer
from crm.payments.adapters import BadPayload, ProviderEvent, SignatureRefused, get_adapter
from crm.payments.models import (
    Direction,
    PaymentMethod,
    PaymentProvider,
    Payout,
    ProviderPayment,
    WebhookEvent,
    WhitelistedAddress,
)
from crm.payments.services_contradictions import contradicted_status, record_contradiction
from crm.payments.services_payouts import apply_payout_event
from crm.payments.work import WEBHOOKS
from crm.wallets import services as wallets
from crm.wallets.models import Currency, Transaction, Wallet

PROVIDER_FIELDS = [
    "name",
    "is_enabled",
    "enabled_countries",
    "min_deposit",
    "max_deposit",
    "min_withdrawal",
    "max_withdrawal",
    "predefined_deposit_amounts",
    "sort_order",
]


class MethodNotOffered(DomainError):
    code = "method_not_offered"


class UnreadableWebhook(DomainError):
    """An authentic delivery whose body cannot be read: it is stored (failed, for staff) and refused with 400."""

    code = "invalid_body"
    status_code = 400


class WebhookRefused(DomainError):
    """A delivery whose signature or timestamp is refused: stored (rejected), answered 401 saying which."""

    code = "bad_signature"
    status_code = 401


class AddressNotWhitelisted(DomainError):
    code = "address_not_whitelisted"


# Methods and fees -----------------------------------------------------------------------------


def offered_methods(customer: Customer, *, direction: str, currency: str | None = None):
    """The methods this client may use: enabled, in their country, for the currency when given."""
    return PaymentMethod.objects.offered(direction=direction, country=str(customer.country or ""), currency=currency)


def method_fee(method: PaymentMethod, amount: Decimal, currency: Currency) -> Decimal:
    """The broker's fee on an amount: percent plus fixed, within min/max, rounded up (charged to the client)."""
    fee = amount * method.fee_percent / Decimal(100) + method.fee_fixed
    if method.fee_min is not None:
        fee = max(fee, method.fee_min)
    if method.fee_max is not None:
        fee = min(fee, method.fee_max)
    return wallets.quantize(fee, currency, rounding=ROUNDING_CHARGE) if fee else Decimal(0)


def _check_method(customer: Customer, method: PaymentMethod, *, direction: str, wallet: Wallet, amount: Decimal):
    if method.direction != direction or not offered_methods(customer, direction=direction).filter(pk=method.pk):
        raise MethodNotOffered(_("This payment method is not offered to you."), fields={"method": [_("Not offered.")]})
    limits = method.limits.filter(currency_id=wallet.currency_id).first()
    if limits is None:
        raise MethodNotOffered(
            _("The method does not take %(currency_id)s.") % {"currency_id": wallet.currency_id},
            fields={"wallet": [_("Currency not supported.")]},
        )
    provider = method.provider
    low, high = (
        (provider.min_deposit, provider.max_deposit)
        if direction == Direction.DEPOSIT
        else (provider.min_withdrawal, provider.max_withdrawal)
    )
    for minimum in (limits.min_amount, low):
        if minimum is not None and amount < minimum:
            raise ValidationError(
                {
                    "amount": [
                        _("The smallest amount is %(minimum)s.") % {"minimum": format_money(minimum, wallet.currency)}
                    ]
                }
            )
    for maximum in (limits.max_amount, high):
        if maximum is not None and amount > maximum:
            raise ValidationError(
                {
                    "amount": [
                        _("The largest amount is %(maximum)s.") % {"maximum": format_money(maximum, wallet.currency)}
                    ]
                }
            )


# Deposits and withdrawals ------------------------------------------------------------------------


@transaction.atomic
def start_deposit(
    customer: Customer, *, method: PaymentMethod, wallet: Wallet, amount: Decimal, actor, request_key: str = ""
) -> ProviderPayment:
    """A pending deposit and the provider's checkout for it; the same request key twice returns the first."""
    amount = to_decimal(amount)
    _check_method(customer, method, direction=Direction.DEPOSIT, wallet=wallet, amount=amount)
    txn = wallets.start_deposit(
        customer,
        wallet=wallet,
        amount=amount,
        actor=actor,
        method=method.name,
        provider=method.provider.code,
        fee=method_fee(method, amount, wallet.currency),
        request_key=request_key,
    )
    existing = ProviderPayment.objects.filter(transaction=txn).first()
    if existing is not None:
        return existing
    payment = ProviderPayment.objects.create(
        provider=method.provider, method=method, transaction=txn, reference=secrets.token_hex(16)
    )
    checkout = get_adapter(method.provider).start_deposit(payment)
    payment.checkout_url, payment.provider_reference = checkout.url, checkout.provider_reference
    payment.save(update_fields=["checkout_url", "provider_reference", "updated_at"])
    return payment


def _check_address(customer: Customer, currency: str, address: str, tag: str, method: PaymentMethod) -> None:
    from crm.core.services import get_setting

    if method.needs_address and not address:
        raise ValidationError({"wallet_address": [_("This method needs a wallet address.")]})
    if not address:
        return
    listed = WhitelistedAddress.objects.filter(customer=customer, currency_id=currency, is_enabled=True)
    required = listed.exists() or bool(get_setting("payments.whitelist_only", default=False))
    if required and not listed.filter(wallet_address=address, destination_tag=tag or "").exists():
        raise AddressNotWhitelisted(
            _("Withdrawals go only to your whitelisted addresses."), fields={"wallet_address": [_("Not whitelisted.")]}
        )


@transaction.atomic
def request_withdrawal(
    customer: Customer,
    *,
    method: PaymentMethod,
    wallet: Wallet,
    amount: Decimal,
    actor,
    wallet_address: str = "",
    destination_tag: str = "",
    request_key: str = "",
) -> Transaction:
    """Ask for a withdrawal by a method: method, amount and address checks, then the money goes on hold."""
    amount = to_decimal(amount)
    _check_method(customer, method, direction=Direction.WITHDRAWAL, wallet=wallet, amount=amount)
    _check_address(customer, wallet.currency_id, wallet_address, destination_tag, method)
    return wallets.request_withdrawal(
        customer,
        wallet=wallet,
        amount=amount,
        actor=actor,
        method=method.name,
        provider=method.provider.code,
        wallet_address=wallet_address,
        destination_tag=destination_tag,
        fee=method_fee(method, amount, wallet.currency),
        request_key=request_key,
    )


# Whitelisted addresses ------------------------------------------------------------------------------


@transaction.atomic
def add_whitelisted_address(
    customer: Customer, *, currency: Currency, wallet_address: str, actor, destination_tag: str = "", label: str = ""
) -> WhitelistedAddress:
    """Whitelist a withdrawal address; adding the same address again returns the existing entry."""
    if currency.has_destination_tag and not destination_tag:
        raise ValidationError({"destination_tag": [f"{currency.code} needs a destination tag or memo."]})
    entry, created = WhitelistedAddress.objects.get_or_create(
        customer=customer,
        currency=currency,
        wallet_address=wallet_address.strip(),
        destination_tag=destination_tag.strip(),
        defaults={"label": label},
    )
    if created:
        record_activity(actor=actor, action="whitelist.added", target=entry, data={"customer": customer.pk})
    return entry


@transaction.atomic
def set_whitelisted_address_enabled(entry: WhitelistedAddress, *, enabled: bool, actor) -> WhitelistedAddress:
    if entry.is_enabled != enabled:
        entry.is_enabled = enabled
        entry.save(update_fields=["is_enabled", "updated_at"])
        record_activity(actor=actor, action="whitelist.enabled" if enabled else "whitelist.disabled", target=entry)
    return entry


@transaction.atomic
def remove_whitelisted_address(entry: WhitelistedAddress, *, actor) -> None:
    record_activity(actor=actor, action="whitelist.removed", target=entry, data={"address": entry.wallet_address})
    entry.delete()


# Providers ---------------------------------------------------------------------------------------------


@transaction.atomic
def update_provider(
    provider: PaymentProvider, *, actor, key_values: list[dict[str, Any]] | None = None, **values: Any
) -> PaymentProvider:
    """Change a provider's limits and countries; `key_values` go to the settings store (secrets encrypted)."""
    unknown = set(values) - set(PROVIDER_FIELDS)
    if unknown:
        raise ValidationError({name: ["Not editable."] for name in unknown})
    provider = PaymentProvider.objects.select_for_update().get(pk=provider.pk)
    before = snapshot(provider, list(values))
    for name, value in values.items():
        setattr(provider, name, value)
    provider.full_clean()
    provider.save()
    for item in key_values or []:
        set_setting(
            f"payments.{provider.code}.{item['key']}",
            item["value"],
            is_secret=item.get("is_secret", True),
            actor=actor,
        )
    record_activity(
        actor=actor,
        action="payment_provider.updated",
        target=provider,
        changes=changed_fields(provider, before),
        data={"keys": sorted(item["key"] for item in key_values or [])},
    )
    return provider


@transaction.atomic
def sort_providers(order: list[tuple[PaymentProvider, int]], *, actor) -> None:
    for provider, position in order:
        PaymentProvider.objects.filter(pk=provider.pk).update(sort_order=position)
    record_activity(actor=actor, action="payment_provider.sorted", data={"order": [(p.pk, n) for p, n in order]})


# Webhooks ------------------------------------------------------------------------------------------------


def receive_webhook(
    provider_code: str, *, headers: dict[str, str], body: bytes, remote_ip: str | None = None
) -> tuple[WebhookEvent, bool]:
    """Store a delivery raw and check its signature. Returns (webhook, is_new).

    A forged or stale one is stored as rejected and raises `WebhookRefused` saying which. An authentic
    delivery of an event already stored is not stored again (unique provider + event id), and is queued again
    when still unprocessed; a new one is stored as stored work (crm.core.work: its task is sent after commit,
    best effort, and the sweep sends it again if that message is lost). An authentic one whose body cannot be
    read (not JSON, nested too deep, fields missing) is stored as failed and raises `UnreadableWebhook`.
    """
    provider = PaymentProvider.objects.filter(code=provider_code).first()
    if provider is None:
        raise NotFound(_("Unknown payment provider."))
    adapter = get_adapter(provider)
    text = body.decode("utf-8", errors="replace")
    kept = {k: v for k, v in headers.items() if k.lower().startswith(("x-", "content-", "user-agent"))}
    try:
        adapter.check_signature(headers, body)
    except SignatureRefused as exc:
        webhook = WebhookEvent.objects.create(
            provider=provider,
            event_id=adapter.peek_event_id(body),
            headers=kept,
            body=text,
            remote_ip=remote_ip,
            signature_valid=False,
            status=WebhookEvent.Status.REJECTED,
            error=exc.message,
        )
        record_activity(
            actor=None, action="webhook.rejected", target=webhook, data={"provider": provider.code, "why": exc.code}
        )
        raise WebhookRefused(exc.message, code=exc.code) from exc
    try:
        event = adapter.parse(body)
    except BadPayload as exc:
        webhook = WebhookEvent.objects.create(
            provider=provider, headers=kept, body=text, remote_ip=remote_ip, signature_valid=True,
            event_id=f"unreadable:{secrets.token_hex(8)}", status=WebhookEvent.Status.FAILED, error=str(exc),
        )  # fmt: skip
        raise UnreadableWebhook(_("The body could not be read: %(exc)s") % {"exc": exc}) from exc
    try:
        with transaction.atomic():
            webhook = WebhookEvent.objects.create(
                provider=provider,
                event_id=event.event_id[:200],
                event_type=event.kind[:100],
                headers=kept,
                body=text,
                remote_ip=remote_ip,
                signature_valid=True,
                next_attempt_at=work.first_due(WEBHOOKS),
            )
            work.enqueue(WEBHOOKS, webhook.pk)
    except IntegrityError:
        webhook = WebhookEvent.objects.get(provider=provider, event_id=event.event_id[:200], signature_valid=True)
        # The provider delivers again because it did not hear from us: a first copy still unprocessed (its
        # message lost) is queued again now rather than at the next sweep.
        work.requeue(WEBHOOKS, [webhook.pk])
        return webhook, False
    return webhook, True


def give_up_webhooks(pks: list[int]) -> None:
    """Webhooks whose processing crashed `max_attempts` times: failed, for Finance to reprocess."""
    for webhook in WebhookEvent.objects.filter(pk__in=pks, processed_at=None):
        webhook.status = WebhookEvent.Status.FAILED
        webhook.error = f"Not processed after {webhook.attempts} attempts (see the worker's log); reprocess it."
        webhook.processed_at = timezone.now()
        webhook.save(update_fields=["status", "error", "processed_at"])
        record_activity(actor=None, action="webhook.gave_up", target=webhook, data={"attempts": webhook.attempts})


REPROCESSABLE = (
    WebhookEvent.Status.RECEIVED,
    WebhookEvent.Status.FAILED,
    WebhookEvent.Status.IGNORED,
    WebhookEvent.Status.CONFLICT,
)


@transaction.atomic
def reprocess_webhook(webhook: WebhookEvent, *, actor, reason: str) -> WebhookEvent:
    """Finance processes an authentic webhook again (after fixing what made it fail, or one stuck), saying why.

    The webhook goes back to received with its attempts reset and is queued (stored work: the sweep takes it
    if the message is lost); the previous outcome and the reason are recorded. Processing is idempotent, so
    money moves at most once. Forged webhooks and processed ones are refused.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the webhook is processed again."]})
    webhook = WebhookEvent.objects.select_for_update().get(pk=webhook.pk)
    if not webhook.signature_valid or webhook.status not in REPROCESSABLE:
        raise Conflict(
            f"A {webhook.get_status_display().lower()} webhook cannot be processed again.",
            code="webhook_not_reprocessable",
        )
    previous = {"status": webhook.status, "error": webhook.error, "attempts": webhook.attempts}
    webhook.status, webhook.error, webhook.processed_at, webhook.attempts = WebhookEvent.Status.RECEIVED, "", None, 0
    webhook.next_attempt_at = work.first_due(WEBHOOKS)
    webhook.save(update_fields=["status", "error", "processed_at", "attempts", "next_attempt_at"])
    record_activity(
        actor=actor, action="webhook.reprocessed", target=webhook, data={"reason": reason.strip(), **previous}
    )
    work.enqueue(WEBHOOKS, webhook.pk)
    return webhook


PAYOUT_EVENTS = (ProviderEvent.PAYOUT_COMPLETED, ProviderEvent.PAYOUT_FAILED)


@transaction.atomic
def process_webhook(webhook_id: int) -> WebhookEvent | None:
    """Apply one stored webhook to its deposit or payout; a webhook already processed is left alone."""
    webhook = (
        WebhookEvent.objects.select_for_update(of=("self",))
        .select_related("provider")
        .filter(pk=webhook_id, signature_valid=True, processed_at__isnull=True)
        .first()
    )
    if webhook is None:
        return None
    try:
        event = get_adapter(webhook.provider).parse(webhook.body.encode())
    except BadPayload as exc:
        _finish(webhook, WebhookEvent.Status.FAILED, str(exc))
        return webhook
    model = Payout if event.kind in PAYOUT_EVENTS else ProviderPayment
    target = (
        model.objects.select_related("transaction")
        .filter(provider=webhook.provider, reference=event.reference)
        .first()
    )
    webhook.reference = event.reference[:64]
    if target is None:
        noun = "payout" if model is Payout else "payment"
        _finish(webhook, WebhookEvent.Status.IGNORED, f"No {noun} with reference {event.reference!r}.")
        return webhook
    _lock_target(target)
    recorded = contradicted_status(event.kind, target)
    if recorded:
        record_contradiction(webhook, kind=event.kind, reference=event.reference, target=target, recorded=recorded)
        _finish(
            webhook,
            WebhookEvent.Status.CONFLICT,
            f"{event.kind} contradicts the recorded status {recorded}: not applied; Finance is notified.",
        )
        return webhook
    try:
        with transaction.atomic():
            if isinstance(target, Payout):
                apply_payout_event(target, event)
            else:
                _apply(event, target)
    except (DomainError, ValidationError) as exc:
        _finish(webhook, WebhookEvent.Status.FAILED, getattr(exc, "message", None) or str(exc))
        return webhook
    _finish(webhook, WebhookEvent.Status.PROCESSED, "")
    return webhook


def _lock_target(target: ProviderPayment | Payout) -> None:
    """Lock the row whose status the event changes and read it again: of two contradicting events processed at
    once, the second sees the first's outcome (crm.payments.services_contradictions)."""
    if isinstance(target, Payout):
        target.status = (
            Payout.objects.select_for_update(of=("self",)).values_list("status", flat=True).get(pk=target.pk)
        )
    else:
        target.transaction = Transaction.objects.select_for_update(of=("self",)).get(pk=target.transaction_id)


def _apply(event: ProviderEvent, payment: ProviderPayment) -> None:
    txn = payment.transaction
    if event.currency and event.currency != txn.currency_id:
        raise ValidationError(
            {
                "currency": [
                    _("The provider paid %(currency)s, not %(currency_id)s.")
                    % {"currency": event.currency, "currency_id": txn.currency_id}
                ]
            }
        )
    reference = event.provider_reference or payment.provider_reference
    if event.kind == ProviderEvent.PAYMENT_SUCCEEDED:
        wallets.confirm_deposit(txn, provider_reference=reference, amount=event.amount)
    elif event.kind == ProviderEvent.PAYMENT_FAILED:
        wallets.fail_deposit(txn, reason=event.reason or "Declined by the provider")
    elif event.kind == ProviderEvent.PAYMENT_REFUNDED:
        wallets.refund_deposit(txn, reason=event.reason or "Refunded at the provider")
    elif event.kind == ProviderEvent.PAYMENT_CHARGED_BACK:
        wallets.charge_back_deposit(txn, reason=event.reason or "Charged back by the payer's bank")
    else:
        raise ValidationError({"type": [_("Unknown event type %(kind)s.") % {"kind": repr(event.kind)}]})


def _finish(webhook: WebhookEvent, status: str, error: str) -> None:
    webhook.status = status
    webhook.error = error
    webhook.processed_at = timezone.now()
    webhook.save(update_fields=["status", "error", "processed_at", "reference"])
    if status in (WebhookEvent.Status.FAILED, WebhookEvent.Status.CONFLICT):
        # Finance must look at it (crm/reports raises an admin notification).
        emit(
            "webhook.failed",
            webhook_id=webhook.pk,
            provider=webhook.provider.code,
            status=status,
            reference=webhook.reference,
            error=error[:500],
        )


@transaction.atomic
def save_payment_method(
    method: PaymentMethod | None = None,
    *,
    actor,
    currencies: list[dict[str, Any]] | None = None,
    groups: list | None = None,
    **values: Any,
) -> PaymentMethod:
    """Create or change a payment method with its currencies (min/max each) and groups."""
    method = method or PaymentMethod()
    before = snapshot(method, list(values))
    for name, value in values.items():
        setattr(method, name, value)
    method.full_clean()
    method.save()
    if groups is not None:
        wrong = [g for g in groups if g.direction != method.direction]
        if wrong:
            raise ValidationError({"groups": [_("Groups must be of the method's direction.")]})
        method.groups.set(groups)
    if currencies is not None:
        method.limits.all().delete()
        for row in currencies:
            low, high = row.get("min_amount"), row.get("max_amount")
            if low is not None and high is not None and low > high:
                raise ValidationError({"currencies": [f"{row['currency']}: the minimum is above the maximum."]})
            method.limits.create(currency=row["currency"], min_amount=low, max_amount=high)
    record_activity(actor=actor, action="payment_method.saved", target=method, changes=changed_fields(method, before))
    return method
