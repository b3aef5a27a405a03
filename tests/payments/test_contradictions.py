"""A provider status that contradicts the recorded outcome moves no money and goes to Finance with both payloads;
the documented state machine (crm.payments.services_contradictions) says which transitions a provider may make."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.models import Activity, OutboxEvent
from crm.payments import services
from crm.payments.adapters import ProviderEvent, SandboxAdapter, get_adapter
from crm.payments.models import Direction, Payout, ProviderContradiction, WebhookEvent
from crm.payments.services_contradictions import contradicted_status
from crm.payments.services_payouts import start_payout
from crm.wallets import services as wallets
from tests.payments.factories import PaymentMethodFactory
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db
URL = reverse("payments:webhook", args=["sandbox"])
# The provider-contradiction changelist's queries, the same for one row and for many.
CHANGELIST_QUERIES = 6


@pytest.fixture
def payment(db):
    wallet = WalletFactory()
    method = PaymentMethodFactory()
    return services.start_deposit(wallet.customer, method=method, wallet=wallet, amount=Decimal("100.00"), actor=None)


def deliver(client, payment, kind, event_id):
    body, headers = get_adapter(payment.provider).webhook(payment, kind=kind, event_id=event_id)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_succeeded_after_failed_moves_no_money_and_reaches_finance_with_both_payloads(
    client, payment, finance_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payment, ProviderEvent.PAYMENT_FAILED, "evt_failed")
        answer = deliver(client, payment, ProviderEvent.PAYMENT_SUCCEEDED, "evt_succeeded")

    failed, succeeded = WebhookEvent.objects.order_by("pk")
    contradiction = ProviderContradiction.objects.get()
    payment.transaction.refresh_from_db()
    payment.transaction.wallet.refresh_from_db()
    assert answer.status_code == 200
    assert (payment.transaction.status, payment.transaction.wallet.balance) == ("failed", Decimal("0.00"))
    assert (failed.status, succeeded.status) == ("processed", "conflict")
    assert "contradicts the recorded status failed" in succeeded.error
    assert (contradiction.webhook, contradiction.earlier_webhook) == (succeeded, failed)
    assert (contradiction.recorded_status, contradiction.reported_event) == ("failed", "payment.succeeded")
    assert contradiction.recorded_payload["body"]["type"] == "payment.failed"
    assert contradiction.reported_payload["body"]["type"] == "payment.succeeded"
    event = OutboxEvent.objects.get(name="payment.contradicted")
    assert event.payload["contradiction_id"] == contradiction.pk
    client.force_login(finance_officer)
    queue = client.get(reverse("admin:payments_providercontradiction_changelist") + "?to_review=yes")
    assert [row.pk for row in queue.context["cl"].result_list] == [contradiction.pk]
    page = client.get(reverse("admin:payments_providercontradiction_change", args=[contradiction.pk]))
    assert b"payment.failed" in page.content
    assert b"payment.succeeded" in page.content


def test_failed_after_succeeded_keeps_the_credit_and_is_a_contradiction(
    client, payment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payment, ProviderEvent.PAYMENT_SUCCEEDED, "evt_ok")
        deliver(client, payment, ProviderEvent.PAYMENT_FAILED, "evt_late_failure")

    payment.transaction.refresh_from_db()
    payment.transaction.wallet.refresh_from_db()
    assert (payment.transaction.status, payment.transaction.wallet.balance) == ("completed", Decimal("100.00"))
    assert ProviderContradiction.objects.get().recorded_status == "completed"


def test_a_deposit_staff_rejected_then_paid_at_the_provider_is_a_contradiction_without_an_earlier_payload(
    client, payment, finance_officer, django_capture_on_commit_callbacks
):
    wallets.fail_deposit(payment.transaction, reason="Rejected by Finance", actor=finance_officer)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payment, ProviderEvent.PAYMENT_SUCCEEDED, "evt_paid")

    contradiction = ProviderContradiction.objects.get()
    assert contradiction.earlier_webhook is None
    assert contradiction.recorded_payload == {"note": "The recorded outcome was not set by a provider webhook."}


def test_transitions_a_provider_may_make_are_not_contradictions(client, payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for number, kind in enumerate([ProviderEvent.PAYMENT_SUCCEEDED, ProviderEvent.PAYMENT_REFUNDED]):
            deliver(client, payment, kind, f"evt_{number}")
        deliver(client, payment, ProviderEvent.PAYMENT_REFUNDED, "evt_refund_again")  # repeats: no change

    payment.transaction.refresh_from_db()
    assert payment.transaction.status == "refunded"
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert not ProviderContradiction.objects.exists()


def test_a_payout_completed_after_it_failed_is_a_contradiction(finance_officer, django_capture_on_commit_callbacks):
    from crm.core.services import set_setting

    set_setting("payments.sandbox.payout_outcome", "wait", actor=None)
    wallet = fund(WalletFactory(), "500.00")
    method = PaymentMethodFactory(direction=Direction.WITHDRAWAL)
    txn = services.request_withdrawal(
        wallet.customer, method=method, wallet=wallet, amount=Decimal("100.00"), actor=wallet.customer.user
    )
    wallets.approve_withdrawal(txn, actor=finance_officer)
    payout = start_payout(txn.pk)
    adapter = SandboxAdapter(payout.provider)
    for kind in (ProviderEvent.PAYOUT_FAILED, ProviderEvent.PAYOUT_COMPLETED):
        Payout.objects.filter(pk=payout.pk, status="queued").update(status="sent")
        body, headers = adapter.webhook(payout, kind=kind, event_id=f"evt_{kind}")
        webhook, _ = services.receive_webhook("sandbox", headers=headers, body=body)
        services.process_webhook(webhook.pk)

    payout.refresh_from_db()
    wallet.refresh_from_db()
    assert (payout.status, wallet.balance) == ("failed", Decimal("500.00"))
    contradiction = ProviderContradiction.objects.get()
    assert (contradiction.recorded_status, contradiction.reported_event) == ("failed", "payout.completed")
    assert contradiction.transaction == txn


@pytest.mark.parametrize(
    ("kind", "status", "contradicts"),
    [
        (ProviderEvent.PAYMENT_SUCCEEDED, "pending", False),
        (ProviderEvent.PAYMENT_SUCCEEDED, "completed", False),
        (ProviderEvent.PAYMENT_SUCCEEDED, "failed", True),
        (ProviderEvent.PAYMENT_SUCCEEDED, "refunded", True),
        (ProviderEvent.PAYMENT_FAILED, "completed", True),
        (ProviderEvent.PAYMENT_REFUNDED, "pending", True),
        (ProviderEvent.PAYMENT_CHARGED_BACK, "completed", False),
        (ProviderEvent.PAYMENT_CHARGED_BACK, "failed", True),
    ],
)
def test_the_deposit_state_machine(payment, kind, status, contradicts):
    payment.transaction.status = status

    assert bool(contradicted_status(kind, payment)) is contradicts


def test_the_finance_review_takes_it_off_the_queue_and_is_recorded(
    client, payment, finance_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payment, ProviderEvent.PAYMENT_FAILED, "evt_a")
        deliver(client, payment, ProviderEvent.PAYMENT_SUCCEEDED, "evt_b")
    contradiction = ProviderContradiction.objects.get()
    client.force_login(finance_officer)

    response = client.post(
        reverse("admin:payments_providercontradiction_reviewed", args=[contradiction.pk]),
        {"note": "Provider confirmed the decline; their success was a test event.", "_form_submitted": "True"},
    )

    contradiction.refresh_from_db()
    assert response.status_code == 302
    assert (contradiction.reviewed_by, contradiction.review_note[:17]) == (finance_officer, "Provider confirme")
    assert Activity.objects.filter(action="payment.contradiction_reviewed", actor=finance_officer).exists()
    assert not ProviderContradiction.objects.to_review().exists()


def contradicted_deposit(client, number):
    wallet = WalletFactory()
    payment = services.start_deposit(
        wallet.customer, method=PaymentMethodFactory(), wallet=wallet, amount=Decimal("100.00"), actor=None
    )
    deliver(client, payment, ProviderEvent.PAYMENT_FAILED, f"evt_failed_{number}")
    deliver(client, payment, ProviderEvent.PAYMENT_SUCCEEDED, f"evt_succeeded_{number}")


def test_contradiction_changelist_runs_the_same_queries_for_one_row_and_many(
    client, admin_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        contradicted_deposit(client, 0)
    client.force_login(admin_user)
    url = reverse("admin:payments_providercontradiction_changelist")
    client.get(url)  # the first page view fills the per-process caches
    with django_assert_num_queries(CHANGELIST_QUERIES):
        one = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(1, 6):
            contradicted_deposit(client, number)
    for contradiction in ProviderContradiction.objects.all()[:3]:
        contradiction.reviewed_by = StaffUserFactory()
        contradiction.save(update_fields=["reviewed_by"])

    with django_assert_num_queries(CHANGELIST_QUERIES):
        many = client.get(url)

    assert (len(one.context["cl"].result_list), len(many.context["cl"].result_list)) == (1, 6)
