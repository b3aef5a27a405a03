"""Refunds and chargebacks of completed deposits: by Finance (admin, back-office API) or by the provider's webhook,
through the ledger with idempotency keys, announced as `deposit.refunded` / `deposit.charged_back`."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.affiliates.models import ReferralAction
from crm.core.models import OutboxEvent
from crm.payments import services
from crm.payments.adapters import ProviderEvent, get_adapter
from crm.wallets import services as wallets
from crm.wallets.exceptions import InvalidTransition, OperationNotAllowed
from crm.wallets.models import JournalEntry, Transaction
from tests.affiliates.factories import AffiliateFactory, referral_of
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import state

pytestmark = pytest.mark.django_db
WEBHOOK_URL = reverse("payments:webhook", args=["sandbox"])


def deposit(wallet, amount="100.00", fee_fixed="0"):
    """A deposit through the sandbox method, paid (its payment.succeeded webhook processed)."""
    method = PaymentMethodFactory(fee_fixed=Decimal(fee_fixed))
    payment = services.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal(amount), actor=None)
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)
    services.process_webhook(webhook.pk)
    payment.transaction.refresh_from_db()
    return payment


def deliver(client, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", **extra)


def test_finance_refunds_a_deposit_in_the_admin_and_the_affiliate_claw_back_sees_it(
    client, finance_officer, django_capture_on_commit_callbacks
):
    customer = referral_of(AffiliateFactory())
    wallet = WalletFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        txn = deposit(wallet, fee_fixed="3.00").transaction
    client.force_login(finance_officer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:wallets_transaction_refund", args=[txn.pk]),
            {"_form_submitted": "True", "comment": "Client asked"},
        )

    txn.refresh_from_db()
    wallet.refresh_from_db()
    assert (txn.status, txn.refunded_by, txn.rejection_reason) == ("refunded", finance_officer, "Client asked")
    assert wallet.balance == Decimal("0.00")
    event = OutboxEvent.objects.get(name="deposit.refunded")
    payload = event.payload
    assert (payload["transaction_id"], payload["customer_id"], payload["currency"]) == (txn.pk, customer.pk, "USD")
    assert Decimal(payload["amount"]) == Decimal("100.00")
    refund = ReferralAction.objects.get(action_type=ReferralAction.Type.REFUND)
    assert (refund.reverses_source_id, refund.amount) == (txn.pk, Decimal("100.00"))


def test_provider_chargeback_webhook_takes_what_the_wallet_holds_and_books_the_rest_as_a_loss(
    client, django_capture_on_commit_callbacks
):
    wallet = WalletFactory()
    payment = deposit(wallet, fee_fixed="3.00")
    wallets.post_entry(  # the client spent 60 of the 97 since
        idempotency_key="spent",
        postings=[(wallet, Decimal("-60")), (wallets.system_account("adjustments", "USD"), Decimal("60"))],
        kind="CORRECTION",
    )
    body, headers = get_adapter(payment.provider).webhook(payment, kind=ProviderEvent.PAYMENT_CHARGED_BACK)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [deliver(client, body, headers) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    txn = Transaction.objects.get(pk=payment.transaction.pk)
    wallet.refresh_from_db()
    assert (txn.status, wallet.balance) == ("charged_back", Decimal("0.00"))
    entry = JournalEntry.objects.get(idempotency_key=f"deposit:{txn.pk}:chargeback")
    postings = {(p.wallet.system_code or "client", p.amount) for p in entry.postings.select_related("wallet")}
    assert postings == {
        ("psp_clearing", Decimal("100.00000000")),
        ("client", Decimal("-37.00000000")),
        ("fee_income", Decimal("-3.00000000")),
        ("reversal_losses", Decimal("-60.00000000")),
    }
    assert OutboxEvent.objects.get(name="deposit.charged_back").payload["shortfall"] == "60.00"


def test_provider_refund_webhook_refunds_the_deposit(client, django_capture_on_commit_callbacks):
    wallet = WalletFactory()
    payment = deposit(wallet)
    body, headers = get_adapter(payment.provider).webhook(payment, kind=ProviderEvent.PAYMENT_REFUNDED)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, headers)

    payment.transaction.refresh_from_db()
    wallet.refresh_from_db()
    assert (payment.transaction.status, wallet.balance) == ("refunded", Decimal("0.00"))


def test_chargeback_through_the_back_office_api(api_client, finance_officer):
    txn = deposit(WalletFactory()).transaction
    api_client.force_authenticate(finance_officer)
    url = reverse("backoffice:transaction-charge-back", args=[txn.pk])

    missing_reason = api_client.post(url, {})
    response = api_client.post(url, {"reason": "Fraudulent card"})

    assert missing_reason.status_code == 400
    assert missing_reason.json()["error"]["fields"] == {"reason": ["This field is required."]}
    assert (response.status_code, response.json()["status"]) == (200, "charged_back")


def test_support_cannot_record_a_chargeback(api_client, support_agent):
    txn = deposit(WalletFactory()).transaction
    api_client.force_authenticate(support_agent)

    response = api_client.post(reverse("backoffice:transaction-charge-back", args=[txn.pk]), {"reason": "x"})

    assert response.status_code == 403
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


def test_reversing_twice_has_one_effect_and_the_other_reversal_is_refused(finance_officer):
    wallet = WalletFactory()
    txn = deposit(wallet).transaction

    wallets.refund_deposit(txn, actor=finance_officer)
    wallets.refund_deposit(txn, actor=finance_officer)
    before = state(wallet)
    with pytest.raises(InvalidTransition):
        wallets.charge_back_deposit(txn, actor=finance_officer, reason="late dispute")

    assert JournalEntry.objects.filter(idempotency_key__startswith=f"deposit:{txn.pk}:").count() == 1
    assert OutboxEvent.objects.filter(name="deposit.refunded").count() == 1
    assert state(wallet) == before


def test_a_pending_deposit_cannot_be_refunded(finance_officer):
    wallet = WalletFactory()
    txn = wallets.start_deposit(wallet.customer, wallet=wallet, amount=Decimal("10"), actor=None)
    before = state(wallet)

    with pytest.raises(InvalidTransition):
        wallets.refund_deposit(txn, actor=finance_officer)

    assert state(wallet) == before


def test_who_entered_a_deposit_by_hand_cannot_reverse_it(finance_officer, second_finance):
    wallet = WalletFactory()
    txn = wallets.create_movement(wallet, kind="DEPOSIT", amount=Decimal("50"), actor=finance_officer)
    if txn.status != Transaction.Status.COMPLETED:
        txn = wallets.approve_movement(txn, actor=second_finance)

    with pytest.raises(OperationNotAllowed):
        wallets.refund_deposit(txn, actor=finance_officer)
