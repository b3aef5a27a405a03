"""Approved withdrawals paid out through the method's provider: a task sends the payout once, provider webhooks
finish or reverse it, lost tasks are found again by the sweep, and what fails reaches Finance."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.models import OutboxEvent
from crm.core.services import set_setting
from crm.core.work import leased_until
from crm.payments import services, services_payouts
from crm.payments.adapters import ADAPTERS, PayoutRefused, ProviderEvent, ProviderUnavailable, SandboxAdapter
from crm.payments.models import Direction, Payout, WebhookEvent
from crm.payments.tasks import send_payout_task, sweep_payouts_task
from crm.payments.work import PAYOUTS
from crm.wallets import services as wallets
from crm.wallets.exceptions import PayoutUnderWay
from crm.wallets.models import Transaction
from tests.payments.factories import PaymentMethodFactory, PaymentProviderFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db
WEBHOOK_URL = reverse("payments:webhook", args=["sandbox"])


@pytest.fixture
def wallet(db):
    return fund(WalletFactory(), "500.00")


@pytest.fixture
def method(db):
    return PaymentMethodFactory(direction=Direction.WITHDRAWAL, fee_fixed=Decimal("2.00"))


@pytest.fixture
def wait_for_outcome(db):
    """The sandbox accepts payouts and reports nothing until told (setting payout_outcome = wait)."""
    set_setting("payments.sandbox.payout_outcome", "wait", actor=None)


def withdraw(wallet, method, amount="100.00"):
    return services.request_withdrawal(
        wallet.customer, method=method, wallet=wallet, amount=Decimal(amount), actor=wallet.customer.user
    )


def approve_in_admin(client, staff, txn):
    client.force_login(staff)
    return client.post(
        reverse("admin:wallets_transaction_approve", args=[txn.pk]), {"_form_submitted": "True"}, follow=True
    )


def deliver(client, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", **extra)


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


def test_admin_approval_pays_the_withdrawal_out_through_the_sandbox(
    client, finance_officer, wallet, method, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)

    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)

    payout = Payout.objects.get(transaction=txn)
    refreshed(txn, wallet)
    assert (payout.status, payout.amount, payout.attempts) == ("completed", Decimal("98.00"), 1)
    assert payout.provider_reference == f"sbx_po_{payout.reference}"
    assert (txn.status, txn.provider_reference) == ("completed", payout.provider_reference)
    assert (wallet.balance, wallet.on_hold) == (Decimal("400.00"), Decimal("0.00"))
    assert WebhookEvent.objects.get().event_type == "payout.completed"


def test_first_of_two_approvals_starts_no_payout(
    client, finance_officer, second_finance, wallet, method, wait_for_outcome, django_capture_on_commit_callbacks
):
    set_setting("wallets.second_approval_above", {"USD": "50"}, value_type="json")
    txn = withdraw(wallet, method)

    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    assert not Payout.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, second_finance, txn)

    assert Payout.objects.get(transaction=txn).status == Payout.Status.SENT


def test_payout_failed_webhook_gives_the_money_back_and_reaches_finance(
    client, finance_officer, wallet, method, wait_for_outcome, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)
    body, headers = SandboxAdapter(payout.provider).webhook(
        payout, kind=ProviderEvent.PAYOUT_FAILED, reason="Account closed"
    )

    with django_capture_on_commit_callbacks(execute=True):
        answers = [deliver(client, body, headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    refreshed(txn, wallet, payout)
    assert (payout.status, payout.last_error) == ("failed", "Account closed")
    assert (txn.status, txn.rejection_reason) == ("failed", "Account closed")
    assert (wallet.balance, wallet.on_hold) == (Decimal("500.00"), Decimal("0.00"))
    failed = OutboxEvent.objects.get(name="payout.failed")
    assert failed.payload["payout_id"] == payout.pk
    assert failed.payload["reason"] == "Account closed"
    assert OutboxEvent.objects.filter(name="withdrawal.failed").count() == 1
    queue = client.get(reverse("admin:payments_payout_changelist") + "?needs_finance=yes")
    assert [row.pk for row in queue.context["cl"].result_list] == [payout.pk]


def test_finance_marks_a_failed_payout_followed_up(
    client, finance_officer, wallet, method, django_capture_on_commit_callbacks
):
    set_setting("payments.sandbox.payout_outcome", "failed", actor=None)
    txn = withdraw(wallet, method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)
    assert payout.status == Payout.Status.FAILED

    client.post(reverse("admin:payments_payout_reviewed", args=[payout.pk]), {"_form_submitted": "True"})

    payout.refresh_from_db()
    assert payout.reviewed_by == finance_officer
    assert not Payout.objects.needing_finance().exists()


def test_a_completed_payout_returned_later_gives_the_money_back(
    client, finance_officer, wallet, method, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)
    body, headers = SandboxAdapter(payout.provider).webhook(payout, kind=ProviderEvent.PAYOUT_FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, headers)

    refreshed(txn, wallet, payout)
    assert (payout.status, txn.status, wallet.balance) == ("failed", "failed", Decimal("500.00"))


def test_payout_webhook_with_another_amount_is_refused(wallet, method, finance_officer, wait_for_outcome):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)
    services_payouts.send_payout(payout.pk)
    body, headers = SandboxAdapter(payout.provider).webhook(
        payout, kind=ProviderEvent.PAYOUT_COMPLETED, amount=Decimal("500.00")
    )
    webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)

    services.process_webhook(webhook.pk)

    webhook.refresh_from_db()
    payout.refresh_from_db()
    assert (webhook.status, payout.status) == ("failed", "sent")
    assert "500.00" in webhook.error


def test_running_the_send_task_twice_sends_once(wallet, method, finance_officer, wait_for_outcome, monkeypatch):
    calls = []
    original = SandboxAdapter.send_payout
    monkeypatch.setattr(SandboxAdapter, "send_payout", lambda self, p: calls.append(p.pk) or original(self, p))
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)

    send_payout_task.delay(payout.pk)
    send_payout_task.delay(payout.pk)

    payout.refresh_from_db()
    assert (calls, payout.status, payout.attempts) == ([payout.pk], "sent", 1)


def test_a_payout_another_task_is_sending_is_left_alone(wallet, method, finance_officer, monkeypatch):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.SENDING, claimed_at=timezone.now(), attempts=1, next_attempt_at=leased_until(PAYOUTS)
    )
    monkeypatch.setattr(SandboxAdapter, "send_payout", lambda self, p: pytest.fail("sent twice"))

    assert services_payouts.send_payout(payout.pk) is None
    assert sweep_payouts_task.delay().get() == 0


def test_the_sweep_sends_payouts_whose_task_was_lost(
    wallet, method, finance_officer, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    lost_before_claim = services_payouts.start_payout(txn.pk)  # its task never ran (no on-commit here)
    Payout.objects.filter(pk=lost_before_claim.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_payouts_task.delay().get() == 1
        assert sweep_payouts_task.delay().get() == 0

    txn.refresh_from_db()
    assert (Payout.objects.get(pk=lost_before_claim.pk).status, txn.status) == ("completed", "completed")


def test_the_sweep_sends_again_a_payout_claimed_by_a_task_that_died(
    wallet, method, finance_officer, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)
    died_at = timezone.now() - dt.timedelta(hours=1)
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.SENDING,
        claimed_at=died_at,
        attempts=1,
        next_attempt_at=leased_until(PAYOUTS, now=died_at),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_payouts_task.delay().get() == 1

    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == ("completed", 2)
    assert payout.provider_reference == f"sbx_po_{payout.reference}"


def test_an_unreachable_provider_is_tried_again_then_reaches_finance(
    wallet, method, finance_officer, wait_for_outcome, monkeypatch
):
    def unreachable(self, payout):
        raise ProviderUnavailable("timeout")

    monkeypatch.setattr(SandboxAdapter, "send_payout", unreachable)
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)

    for _ in range(PAYOUTS.max_attempts):
        with pytest.raises(ProviderUnavailable):
            services_payouts.send_payout(payout.pk)
        payout.refresh_from_db()
        assert (payout.status, payout.last_error) == ("queued", "timeout")
    services_payouts.send_payout(payout.pk)

    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == ("attention", PAYOUTS.max_attempts)
    assert OutboxEvent.objects.filter(name="payout.attention_needed").count() == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.APPROVED


def test_a_payout_the_provider_refuses_fails_and_gives_the_money_back(wallet, method, finance_officer, monkeypatch):
    def refuse(self, payout):
        raise PayoutRefused("Invalid IBAN")

    monkeypatch.setattr(SandboxAdapter, "send_payout", refuse)
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)

    services_payouts.send_payout(payout.pk)

    refreshed(payout, txn, wallet)
    assert (payout.status, txn.status, wallet.balance) == ("failed", "failed", Decimal("500.00"))


class ManualAdapter(SandboxAdapter):
    code = "manual"
    pays_out = False


@pytest.fixture
def manual_method(db, monkeypatch):
    monkeypatch.setitem(ADAPTERS, "manual", ManualAdapter)
    provider = PaymentProviderFactory(code="bank", name="Bank wire", adapter="manual")
    return PaymentMethodFactory(provider=provider, direction=Direction.WITHDRAWAL)


def test_a_provider_that_does_not_pay_out_puts_the_payout_in_the_finance_queue(
    client, finance_officer, second_finance, wallet, manual_method, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, manual_method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)
    assert payout.status == Payout.Status.ATTENTION
    refused = client.post(reverse("admin:wallets_transaction_refund", args=[txn.pk]), {"_form_submitted": "True"})
    assert refused.status_code == 302
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.APPROVED

    client.force_login(second_finance)
    client.post(
        reverse("admin:payments_payout_paid_by_hand", args=[payout.pk]),
        {"_form_submitted": "True", "provider_reference": "WIRE-77"},
    )

    refreshed(payout, txn)
    assert (payout.status, txn.status, txn.provider_reference) == ("completed", "completed", "WIRE-77")


def test_finance_fails_a_stuck_payout_by_hand(
    client, finance_officer, wallet, manual_method, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, manual_method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)

    client.post(
        reverse("admin:payments_payout_failed_by_hand", args=[payout.pk]),
        {"_form_submitted": "True", "reason": "Client closed the account"},
    )

    refreshed(payout, txn, wallet)
    assert (payout.status, payout.reviewed_by, txn.status) == ("failed", finance_officer, "failed")
    assert wallet.balance == Decimal("500.00")


def test_finance_sends_a_stuck_payout_again(
    client, finance_officer, wallet, method, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.ATTENTION, attempts=10, last_error="timeout")
    client.force_login(finance_officer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:payments_payout_retry", args=[payout.pk]), {"_form_submitted": "True"})

    refreshed(payout, txn)
    assert (payout.status, payout.attempts, txn.status) == ("completed", 1, "completed")


def test_staff_pick_the_sandbox_outcome_on_the_payout_page(
    client, finance_officer, wallet, method, wait_for_outcome, django_capture_on_commit_callbacks
):
    txn = withdraw(wallet, method)
    with django_capture_on_commit_callbacks(execute=True):
        approve_in_admin(client, finance_officer, txn)
    payout = Payout.objects.get(transaction=txn)
    page = client.get(reverse("admin:payments_payout_change", args=[payout.pk]))
    assert reverse("admin:payments_payout_sandbox_outcome", args=[payout.pk]) in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:payments_payout_sandbox_outcome", args=[payout.pk]),
            {"_form_submitted": "True", "outcome": "payout.failed"},
        )

    refreshed(payout, wallet)
    assert (payout.status, wallet.balance) == ("failed", Decimal("500.00"))


def test_support_cannot_act_on_payouts(client, support_agent, wallet, method, finance_officer):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = services_payouts.start_payout(txn.pk)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.ATTENTION)
    client.force_login(support_agent)

    response = client.post(reverse("admin:payments_payout_retry", args=[payout.pk]), {"_form_submitted": "True"})

    assert response.status_code == 403
    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.ATTENTION


def test_refund_of_an_approved_withdrawal_under_payout_is_refused(wallet, method, finance_officer, second_finance):
    txn = withdraw(wallet, method)
    wallets.approve_withdrawal(txn, actor=finance_officer)

    with pytest.raises(PayoutUnderWay):
        wallets.refund_withdrawal(txn, actor=second_finance)


def test_payout_changelist_queries_are_flat(client, finance_officer, method, django_assert_max_num_queries):
    def payouts(count):
        for _ in range(count):
            wallet = fund(WalletFactory(), "100.00")
            txn = withdraw(wallet, method, "10.00")
            wallets.approve_withdrawal(txn, actor=finance_officer)
            services_payouts.start_payout(txn.pk)

    client.force_login(finance_officer)
    payouts(2)
    client.get(reverse("admin:payments_payout_changelist"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("admin:payments_payout_changelist")).status_code == 200
    payouts(6)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("admin:payments_payout_changelist"))
