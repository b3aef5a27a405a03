"""Admin notifications: raised from money and trading events for the staff who can act, read through the
trading platform's paths, the back-office API and the admin (bell, list, mark read)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.core.events import emit
from crm.core.roles import Role
from crm.payments import services as payment_services
from crm.payments.adapters import get_adapter
from crm.reports import notifications
from crm.reports.models import AdminNotification
from crm.wallets import services as wallet_services
from tests.conftest import staff_with_role
from tests.payments.factories import PaymentMethodFactory
from tests.users.factories import ApiTokenFactory, UserFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db

LIST = "/notification/api/v1/admin-notifications"
COUNT = "/notification/api/v1/admin-notifications/unread-count"
MARK = "/notification/api/v1/admin-notifications/mark-as-read"
MARK_ALL = "/notification/api/v1/admin-notifications/mark-all-as-read"
BACKOFFICE = reverse("backoffice:admin-notification-list")
CONTENT_TYPE = "application/json; x-api-version=1.0"


@pytest.fixture
def finance(db):
    return staff_with_role(Role.FINANCE)


@pytest.fixture
def dealer(db):
    return staff_with_role(Role.DEALER)


def raise_for(user, count: int = 1, type: str = "StopOut") -> list[AdminNotification]:
    """`count` notifications addressed to `user` alone."""
    return [
        AdminNotification.objects.create(
            recipient=user, type=type, key=f"test:{type}:{index}", data={"type": type, "note": f"n{index}"}
        )
        for index in range(count)
    ]


def test_a_withdrawal_waiting_for_approval_notifies_who_can_approve(
    finance, sales_agent, django_capture_on_commit_callbacks
):
    wallet = fund(WalletFactory(), "500.00")
    with django_capture_on_commit_callbacks(execute=True):
        txn = wallet_services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("40.00"), actor=None)

    note = AdminNotification.objects.get(recipient=finance)
    assert note.type == "WithdrawalPendingApproval"
    assert note.data == {
        "type": "WithdrawalPendingApproval",
        "transactionId": str(txn.pk),
        "customerId": str(wallet.customer_id),
        "amount": "40.00",
        "currency": wallet.currency_id,
        "approval": "first",
    }
    assert not AdminNotification.objects.filter(recipient=sales_agent).exists()


def test_a_withdrawal_approved_before_the_event_is_handled_notifies_nobody(finance):
    wallet = fund(WalletFactory(), "500.00")
    txn = wallet_services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("40.00"), actor=None)
    other = staff_with_role(Role.FINANCE)
    wallet_services.approve_withdrawal(txn, actor=other)
    event = emit("withdrawal.requested", transaction_id=txn.pk)

    from crm.reports.events import withdrawal_waiting

    withdrawal_waiting(event)

    assert not AdminNotification.objects.exists()


def test_a_failed_payout_notifies_finance(finance, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        emit("payout.failed", payout_id=7, transaction_id=9, customer_id=3, amount="12.50", currency="USD", reason="x")

    note = AdminNotification.objects.get(recipient=finance)
    assert (note.type, note.data["payoutId"], note.data["reason"]) == ("PayoutFailed", "7", "x")


def test_a_failed_provider_webhook_notifies_finance(client, finance, django_capture_on_commit_callbacks):
    wallet = WalletFactory()
    payment = payment_services.start_deposit(
        wallet.customer, method=PaymentMethodFactory(), wallet=wallet, amount=Decimal("100.00"), actor=None
    )
    body, headers = get_adapter(payment.provider).webhook(payment, amount=Decimal("-5"))
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payments:webhook", args=["sandbox"]), data=body, content_type="application/json", **extra)

    note = AdminNotification.objects.get(recipient=finance)
    assert note.type == "WebhookFailed"
    assert (note.data["provider"], note.data["status"], note.data["reference"]) == (
        "sandbox",
        "failed",
        payment.reference,
    )


def test_stop_out_and_platform_timeouts_notify_the_dealing_desk(dealer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stop = emit("stop_out", account_id=5, customer_id=6, position_id=7, note="so 20%")
        emit("platform.external_order_timeout", interval="PT5M", timeouts=[{"marketId": "EURUSD", "count": 3}])

    rows = list(AdminNotification.objects.filter(recipient=dealer).order_by("id"))
    assert [(r.type, r.key) for r in rows] == [("StopOut", f"event:{stop.pk}"), ("ExternalOrderTimeout", rows[1].key)]
    assert rows[1].data == {
        "type": "ExternalOrderTimeout",
        "interval": "PT5M",
        "timeouts": [{"marketId": "EURUSD", "count": 3}],
    }


def test_raising_the_same_cause_twice_notifies_once(dealer):
    assert notifications.raise_notification("StopOut", key="event:1", data={}) >= 1
    assert notifications.raise_notification("StopOut", key="event:1", data={}) == 0
    assert AdminNotification.objects.filter(recipient=dealer).count() == 1


def test_platform_list_answers_the_callers_notifications_with_the_platform_body(api_client, dealer):
    mine = raise_for(dealer, 3)
    other = staff_with_role(Role.DEALER)
    raise_for(other, 1)
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.DEALER)))
    raise_for(token.user, 1)
    api_client.force_authenticate(dealer)

    response = api_client.post(LIST, {"limit": 2}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "notifications": [
            {
                "id": str(row.pk),
                "type": "StopOut",
                "data": {"type": "StopOut", "note": row.data["note"]},
                "isRead": False,
                "createdAt": row.created_at.isoformat().replace("+00:00", "Z"),
            }
            for row in [mine[2], mine[1]]
        ]
    }
    page = api_client.post(LIST, {"lastId": str(mine[1].pk), "limit": 2}, format="json").json()
    assert [n["id"] for n in page["notifications"]] == [str(mine[0].pk)]


def test_platform_paths_take_a_staff_api_token_as_bearer(client, dealer):
    token = ApiTokenFactory(role=Group.objects.get(name=str(Role.DEALER)))
    rows = raise_for(token.user, 2)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.raw_key}"}

    assert client.get(COUNT, **auth).json() == {"count": 2}
    marked = client.post(MARK, data=f'{{"ids": ["{rows[0].pk}"]}}', content_type=CONTENT_TYPE, **auth)
    assert (marked.status_code, marked.json()) == (200, {})
    assert client.get(COUNT, **auth).json() == {"count": 1}
    unread = client.post(LIST, data='{"unreadOnly": true}', content_type=CONTENT_TYPE, **auth).json()
    assert [n["id"] for n in unread["notifications"]] == [str(rows[1].pk)]
    assert client.post(MARK_ALL, **auth).json() == {}
    assert client.get(COUNT, **auth).json() == {"count": 0}


def test_platform_paths_refuse_strangers_and_bad_filters(client, api_client, dealer):
    customer_user = UserFactory()
    assert client.get(COUNT).status_code in (401, 403)
    assert client.get(COUNT, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    api_client.force_authenticate(customer_user)
    assert api_client.get(COUNT).status_code == 403
    api_client.force_authenticate(dealer)
    bad = api_client.post(LIST, {"types": ["Nope"], "lastId": "x", "limit": 0}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"types.0", "lastId", "limit"}


def test_marking_someone_elses_notification_changes_nothing(api_client, dealer):
    other = staff_with_role(Role.DEALER)
    theirs = raise_for(other, 1)[0]
    api_client.force_authenticate(dealer)

    assert api_client.post(MARK, {"ids": [str(theirs.pk)]}, format="json").status_code == 200
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_backoffice_list_filters_counts_and_marks(api_client, dealer, django_assert_num_queries):
    rows = raise_for(dealer, 3)
    raise_for(dealer, 1, type="ExternalOrderTimeout")
    notifications.mark_read(dealer, [rows[0].pk])
    api_client.force_authenticate(dealer)

    with django_assert_num_queries(2):  # count, page (the caller comes with force_authenticate)
        page = api_client.get(BACKOFFICE, {"unread_only": "true", "type": "StopOut"})
    assert [r["id"] for r in page.json()["results"]] == [rows[2].pk, rows[1].pk]
    assert api_client.get(BACKOFFICE + "unread-count/").json() == {"count": 3}
    assert api_client.post(BACKOFFICE + "mark-read/", {"ids": [rows[1].pk]}, format="json").json() == {"marked": 1}
    assert api_client.post(BACKOFFICE + "mark-all-read/").json() == {"marked": 2}
    assert api_client.get(BACKOFFICE, {"type": "Nope"}).status_code == 400


def test_backoffice_detail_of_another_staff_members_notification_is_404(api_client, dealer):
    theirs = raise_for(staff_with_role(Role.DEALER), 1)[0]
    api_client.force_authenticate(dealer)

    assert api_client.get(reverse("backoffice:admin-notification-detail", args=[theirs.pk])).status_code == 404


def test_admin_list_shows_own_notifications_and_opening_one_marks_it_read(client, dealer, django_assert_num_queries):
    mine = raise_for(dealer, 3)
    theirs = raise_for(staff_with_role(Role.DEALER), 1)[0]
    client.force_login(dealer)
    url = reverse("admin:reports_adminnotification_changelist")

    client.get(url)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert all(f"/{row.pk}/change/" in page for row in mine)
    assert f"/{theirs.pk}/change/" not in page
    assert 'data-admin-notifications="/notification/api/v1/admin-notifications/unread-count"' in page

    client.get(reverse("admin:reports_adminnotification_change", args=[mine[0].pk]))
    mine[0].refresh_from_db()
    assert mine[0].is_read is True
    assert client.get(reverse("admin:reports_adminnotification_change", args=[theirs.pk])).status_code == 302


def test_admin_marks_selected_and_all_read(client, dealer):
    rows = raise_for(dealer, 3)
    client.force_login(dealer)
    url = reverse("admin:reports_adminnotification_changelist")

    client.post(url, {"action": "mark_selected_read", "_selected_action": [rows[0].pk]})
    assert notifications.unread_count(dealer) == 2
    dialog = client.get(reverse("admin:reports_adminnotification_mark_all_read"))
    assert dialog.status_code == 200
    assert notifications.unread_count(dealer) == 2
    client.post(reverse("admin:reports_adminnotification_mark_all_read"), {"_form_submitted": "True"})
    assert notifications.unread_count(dealer) == 0
