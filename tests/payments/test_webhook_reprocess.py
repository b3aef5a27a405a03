"""Finance processes a provider webhook again from the admin, with a reason that is recorded."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.models import Activity
from crm.payments import services
from crm.payments.adapters import get_adapter
from crm.payments.models import WebhookEvent
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(db):
    wallet = WalletFactory()
    method = PaymentMethodFactory()
    return services.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("40.00"), actor=None)


def failed_webhook(payment) -> WebhookEvent:
    """A webhook that failed: it reached us before the payment's reference was known (here: a wrong one)."""
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)
    WebhookEvent.objects.filter(pk=webhook.pk).update(
        status="ignored", error="No payment", processed_at=timezone.now()
    )
    return webhook


def reprocess(client, webhook, reason):
    return client.post(
        reverse("admin:payments_webhookevent_reprocess", args=[webhook.pk]),
        {"reason": reason, "_form_submitted": "True"},
    )


def test_finance_reprocesses_a_failed_webhook_with_a_reason_and_it_credits_once(
    client, payment, finance_officer, django_capture_on_commit_callbacks
):
    webhook = failed_webhook(payment)
    client.force_login(finance_officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = reprocess(client, webhook, "Provider confirmed the payment by phone")
    again = reprocess(client, webhook, "Twice")

    webhook.refresh_from_db()
    wallet = payment.transaction.wallet
    wallet.refresh_from_db()
    assert response.status_code == 302
    assert again.status_code in (302, 403)
    assert (webhook.status, webhook.attempts, wallet.balance) == ("processed", 1, Decimal("40.00"))
    [record] = Activity.objects.filter(action="webhook.reprocessed")
    assert record.actor == finance_officer
    assert record.data == {
        "reason": "Provider confirmed the payment by phone",
        "status": "ignored",
        "error": "No payment",
        "attempts": 0,
    }


def test_a_reason_is_required_and_nothing_changes_without_it(payment, finance_officer):
    webhook = failed_webhook(payment)

    with pytest.raises(services.ValidationError):
        services.reprocess_webhook(webhook, actor=finance_officer, reason="  ")

    webhook.refresh_from_db()
    assert webhook.status == "ignored"
    assert not Activity.objects.filter(action="webhook.reprocessed").exists()


def test_processed_and_forged_webhooks_cannot_be_reprocessed(payment, finance_officer):
    webhook = failed_webhook(payment)
    WebhookEvent.objects.filter(pk=webhook.pk).update(status="processed")
    forged = WebhookEvent.objects.create(provider=payment.provider, body="{}", status="rejected")

    for target in (webhook, forged):
        with pytest.raises(services.Conflict):
            services.reprocess_webhook(target, actor=finance_officer, reason="why not")


def test_staff_without_the_permission_cannot_reprocess(client, payment, django_capture_on_commit_callbacks):
    from crm.core.roles import Role
    from tests.conftest import staff_with_role

    webhook = failed_webhook(payment)
    client.force_login(staff_with_role(Role.SUPPORT))

    response = reprocess(client, webhook, "curious")

    webhook.refresh_from_db()
    assert response.status_code in (403, 302)
    assert webhook.status == "ignored"
