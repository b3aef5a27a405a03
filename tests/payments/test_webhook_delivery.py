"""Every accepted provider webhook reaches the ledger, whatever happens to its task message: lost messages are
found again by the sweep (crm.core.work), a delivery again queues an unprocessed webhook, a broker that is down
fails nothing, transient database errors are retried, and webhooks that keep crashing go to Finance."""

import datetime as dt
from decimal import Decimal

import kombu.exceptions
import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from crm.core import work
from crm.core.models import Activity
from crm.payments import services, tasks
from crm.payments.adapters import get_adapter
from crm.payments.models import WebhookEvent
from crm.payments.work import WEBHOOKS
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db
URL = reverse("payments:webhook", args=["sandbox"])


@pytest.fixture
def payment(db):
    wallet = WalletFactory()
    method = PaymentMethodFactory()
    return services.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("100.00"), actor=None)


def deliver(client, payment, event_id="evt_1"):
    body, headers = get_adapter(payment.provider).webhook(payment, event_id=event_id)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(URL, data=body, content_type="application/json", **extra)


def balance(payment) -> Decimal:
    wallet = payment.transaction.wallet
    wallet.refresh_from_db()
    return wallet.balance


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_webhook_whose_task_message_was_lost_is_processed_by_the_sweep_once(
    client, payment, django_capture_on_commit_callbacks
):
    response = deliver(client, payment)  # the message is lost: no on-commit callback runs here
    webhook = WebhookEvent.objects.get()
    not_due_yet = work.sweep(WEBHOOKS)

    with django_capture_on_commit_callbacks(execute=True):
        swept = work.sweep(WEBHOOKS, now=later(WEBHOOKS.first_wait.total_seconds() + 1))
    again = work.sweep(WEBHOOKS, now=later(WEBHOOKS.worst_delay().total_seconds()))

    webhook.refresh_from_db()
    assert response.status_code == 200
    assert (not_due_yet, swept, again) == (0, 1, 0)
    assert (webhook.status, webhook.attempts) == ("processed", 1)
    assert balance(payment) == Decimal("100.00")


def test_a_webhook_is_acknowledged_and_stored_while_the_broker_is_down(
    client, payment, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_webhook_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, payment)
    webhook = WebhookEvent.objects.get()
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        work.sweep(WEBHOOKS, now=later(61))

    webhook.refresh_from_db()
    assert (response.status_code, response.json()) == (200, {"received": True, "duplicate": False})
    assert webhook.status == "processed"
    assert balance(payment) == Decimal("100.00")


def test_a_delivery_again_of_an_unprocessed_webhook_queues_it_again_and_answers_duplicate(
    client, payment, django_capture_on_commit_callbacks
):
    first = deliver(client, payment)  # its message is lost

    with django_capture_on_commit_callbacks(execute=True):
        second = deliver(client, payment)

    assert [first.json()["duplicate"], second.json()["duplicate"]] == [False, True]
    assert WebhookEvent.objects.get().status == "processed"
    assert balance(payment) == Decimal("100.00")


def test_a_transient_database_error_is_retried_by_the_task(payment, monkeypatch):
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)
    real, failures = services.process_webhook, []

    def connection_cut_once(webhook_id):
        if not failures:
            failures.append(webhook_id)
            raise OperationalError("terminating connection due to administrator command")
        return real(webhook_id)

    monkeypatch.setattr(services, "process_webhook", connection_cut_once)
    tasks.process_webhook_task.apply(args=[webhook.pk], throw=False)  # as a worker runs it: retries

    webhook.refresh_from_db()
    assert failures == [webhook.pk]
    assert (webhook.status, webhook.attempts) == ("processed", 2)
    assert balance(payment) == Decimal("100.00")


def test_a_webhook_that_keeps_crashing_goes_to_finance_after_its_attempts(payment):
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)
    WebhookEvent.objects.filter(pk=webhook.pk).update(attempts=WEBHOOKS.max_attempts, next_attempt_at=later(-1))

    swept = work.sweep(WEBHOOKS)

    webhook.refresh_from_db()
    assert swept == 0
    assert (webhook.status, webhook.processed_at is not None) == ("failed", True)
    assert "after 10 attempts" in webhook.error
    assert Activity.objects.filter(action="webhook.gave_up", target_id=str(webhook.pk)).exists()
    assert balance(payment) == Decimal("0.00")


def test_the_task_run_twice_credits_once(payment):
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)

    tasks.process_webhook_task.delay(webhook.pk)
    tasks.process_webhook_task.delay(webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.status, webhook.attempts) == ("processed", 1)
    assert balance(payment) == Decimal("100.00")


def test_a_webhook_being_processed_is_not_sent_again_before_its_lease_ends(payment):
    body, headers = get_adapter(payment.provider).webhook(payment)
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)

    work.claim(WEBHOOKS, webhook.pk)  # a worker took it, then died

    assert work.sweep(WEBHOOKS, now=later(WEBHOOKS.lease.total_seconds() - 5)) == 0
    assert work.sweep(WEBHOOKS, now=later(WEBHOOKS.lease.total_seconds() + 1)) == 1


def test_worst_delay_from_delivery_to_credit_is_lease_plus_sweep_interval():
    assert WEBHOOKS.worst_delay() == dt.timedelta(seconds=180)
