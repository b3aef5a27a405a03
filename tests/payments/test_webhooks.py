"""Deposits through the sandbox provider: signed webhooks, stored raw, de-duplicated, processed by a task."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.payments import services
from crm.payments.adapters import ProviderEvent, get_adapter
from crm.payments.models import WebhookEvent
from crm.wallets.models import Transaction
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db
URL = reverse("payments:webhook", args=["sandbox"])


@pytest.fixture
def payment(db):
    wallet = WalletFactory()
    method = PaymentMethodFactory()
    return services.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("100.00"), actor=None)


def deliver(client, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_start_deposit_opens_a_sandbox_checkout(payment):
    assert payment.transaction.status == Transaction.Status.PENDING
    assert payment.checkout_url.endswith(reverse("payments:sandbox-checkout", args=[payment.reference]))


def test_the_same_webhook_ten_times_credits_once(client, payment, django_capture_on_commit_callbacks):
    body, headers = get_adapter(payment.provider).webhook(payment, event_id="evt_1")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [deliver(client, body, headers) for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["duplicate"] for a in answers] == [False] + [True] * 9
    wallet = payment.transaction.wallet
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("100.00")
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_forged_signature_is_rejected_and_recorded(client, payment):
    body, headers = get_adapter(payment.provider).webhook(payment, event_id="evt_forged")
    headers["X-Sandbox-Signature"] = headers["X-Sandbox-Signature"][:-4] + "beef"

    response = deliver(client, body, headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    webhook = WebhookEvent.objects.get()
    assert (webhook.signature_valid, webhook.status, webhook.event_id) == (False, "rejected", "evt_forged")
    payment.transaction.refresh_from_db()
    assert payment.transaction.status == Transaction.Status.PENDING


def test_forgery_reusing_a_real_event_id_does_not_block_the_real_one(
    client, payment, django_capture_on_commit_callbacks
):
    body, headers = get_adapter(payment.provider).webhook(payment, event_id="evt_2")
    deliver(client, body, {**headers, "X-Sandbox-Signature": "t=1,v1=00"})

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, headers)

    assert response.status_code == 200
    payment.transaction.refresh_from_db()
    assert payment.transaction.status == Transaction.Status.COMPLETED


def test_old_signature_is_refused(client, payment):
    adapter = get_adapter(payment.provider)
    body, headers = adapter.webhook(payment)
    headers["X-Sandbox-Signature"] = adapter.sign(body, timestamp=1_000_000)

    response = deliver(client, body, headers)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "stale_timestamp"
    assert "timestamp" in error["message"]
    webhook = WebhookEvent.objects.get()
    assert (webhook.status, webhook.error) == ("rejected", error["message"])


def test_unknown_provider_is_404(client):
    assert (
        client.post(
            reverse("payments:webhook", args=["nope"]), data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_failed_payment_fails_the_deposit(client, payment, django_capture_on_commit_callbacks):
    body, headers = get_adapter(payment.provider).webhook(payment, kind=ProviderEvent.PAYMENT_FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, headers)

    payment.transaction.refresh_from_db()
    assert payment.transaction.status == Transaction.Status.FAILED


def test_processing_the_same_webhook_twice_changes_nothing(payment, django_capture_on_commit_callbacks):
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)

    services.process_webhook(webhook.pk)
    services.process_webhook(webhook.pk)

    wallet = payment.transaction.wallet
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("100.00")


def test_webhook_for_unknown_reference_is_ignored(payment):
    adapter = get_adapter(payment.provider)
    body = b'{"id": "e9", "type": "payment.succeeded", "reference": "zzz", "amount": "5", "currency": "USD"}'
    webhook, _ = services.receive_webhook("sandbox", headers={"X-Sandbox-Signature": adapter.sign(body)}, body=body)

    services.process_webhook(webhook.pk)

    webhook.refresh_from_db()
    assert webhook.status == WebhookEvent.Status.IGNORED


def test_sandbox_checkout_page_pays_end_to_end(client, payment, django_capture_on_commit_callbacks):
    url = reverse("payments:sandbox-checkout", args=[payment.reference])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"outcome": "pay"})

    assert response.status_code == 200
    payment.transaction.refresh_from_db()
    assert payment.transaction.status == Transaction.Status.COMPLETED
    assert payment.transaction.provider_reference == f"sbx_{payment.reference}"
