"""Commissions of flagged referrals: approving says why it cannot, the flag shows on the commission (list and
detail), the affiliate manager clears it there (recorded), and the commission run is one click away."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.affiliates.models import AttributionFlag, CommissionLedger
from crm.core.models import Activity
from crm.core.roles import Role
from tests.affiliates.factories import CommissionLedgerFactory
from tests.conftest import staff_with_role

pytestmark = pytest.mark.django_db
CONFIRM = {"_form_submitted": "True"}  # what the action's confirmation dialog posts
Status = CommissionLedger.Status
CHANGELIST = reverse("admin:affiliates_commissionledger_changelist")


@pytest.fixture
def manager(db):
    return staff_with_role(Role.AFFILIATE_MANAGER)


@pytest.fixture
def flagged(db):
    """A pending commission whose referral signed up from the affiliate's own email."""
    record = CommissionLedgerFactory(status=Status.PENDING)
    AttributionFlag.objects.create(
        customer=record.referral, affiliate=record.introducer, reason=AttributionFlag.Reason.SELF_EMAIL
    )
    return record


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_approving_a_flagged_referrals_commission_says_why_and_changes_nothing(client, manager, flagged):
    client.force_login(manager)

    response = client.post(
        reverse("admin:affiliates_commissionledger_approve_record", args=[flagged.pk]), CONFIRM, follow=True
    )

    assert messages_of(response) == [
        "The referral is flagged for review (Affiliate's own email): clear the flag, or confirm the fraud, first."
    ]
    flagged.refresh_from_db()
    assert flagged.status == Status.PENDING


def test_bulk_approval_counts_what_it_left_and_why(client, manager, flagged):
    clean = CommissionLedgerFactory(status=Status.PENDING)
    client.force_login(manager)

    response = client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [flagged.pk, clean.pk]}, follow=True
    )

    assert messages_of(response) == [
        "1 commissions approved.",
        "1 not approved: the referral is flagged (clear the flag on the commission).",
    ]
    assert dict(CommissionLedger.objects.values_list("pk", "status")) == {
        flagged.pk: Status.PENDING,
        clean.pk: Status.APPROVED,
    }


def test_the_flag_shows_on_the_list_and_the_detail(client, manager, flagged):
    CommissionLedgerFactory(status=Status.PENDING)
    client.force_login(manager)

    only_flagged = client.get(CHANGELIST + "?referral_flagged=yes")
    detail = client.get(reverse("admin:affiliates_commissionledger_change", args=[flagged.pk]))

    assert [row.pk for row in only_flagged.context["cl"].result_list] == [flagged.pk]
    assert "Flagged" in only_flagged.content.decode()
    page = detail.content.decode()
    assert "Open: Affiliate&#x27;s own email." in page
    assert reverse("admin:affiliates_commissionledger_clear_referral_flags", args=[flagged.pk]) in page


def test_manager_clears_the_flag_on_the_commission_then_approves_it(client, manager, flagged):
    client.force_login(manager)

    cleared = client.post(
        reverse("admin:affiliates_commissionledger_clear_referral_flags", args=[flagged.pk]),
        {"_form_submitted": "True"},
        follow=True,
    )
    client.post(reverse("admin:affiliates_commissionledger_approve_record", args=[flagged.pk]), CONFIRM)

    assert messages_of(cleared) == ["Flag cleared: the commission can be approved."]
    flag = AttributionFlag.objects.get()
    assert (flag.status, flag.reviewed_by) == (AttributionFlag.Status.CLEARED, manager)
    review = Activity.objects.get(action="affiliate.flag_reviewed")
    assert (review.actor, review.data["status"]) == (manager, "cleared")
    flagged.refresh_from_db()
    assert flagged.status == Status.APPROVED


def test_manager_confirms_fraud_on_the_commission(client, manager, flagged):
    client.force_login(manager)

    client.post(
        reverse("admin:affiliates_commissionledger_confirm_fraud", args=[flagged.pk]), {"_form_submitted": "True"}
    )

    flagged.refresh_from_db()
    assert flagged.status == Status.REJECTED
    assert AttributionFlag.objects.get().status == AttributionFlag.Status.CONFIRMED


def test_finance_cannot_clear_flags(client, finance_officer, flagged):
    client.force_login(finance_officer)

    response = client.post(
        reverse("admin:affiliates_commissionledger_clear_referral_flags", args=[flagged.pk]),
        {"_form_submitted": "True"},
    )

    assert response.status_code == 403
    assert AttributionFlag.objects.get().status == AttributionFlag.Status.OPEN


def test_back_office_api_approval_of_a_flagged_referral_answers_why(api_client, manager, flagged):
    api_client.force_authenticate(manager)

    response = api_client.post(reverse("backoffice:commission-ledger-approve", args=[flagged.pk]))
    listed = api_client.get(reverse("backoffice:commission-ledger-list")).json()["results"]

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "referral_flagged"
    assert response.json()["error"]["fields"] == {"flags": ["Affiliate's own email"]}
    assert [row["referral_flagged"] for row in listed] == [True]


def test_calculate_now_runs_the_commission_jobs(client, manager):
    client.force_login(manager)

    dialog = client.get(reverse("admin:affiliates_commissionledger_calculate_now"))
    response = client.post(
        reverse("admin:affiliates_commissionledger_calculate_now"), {"_form_submitted": "True"}, follow=True
    )

    assert dialog.status_code == 200
    assert messages_of(response) == ["Commissions calculated and due ones approved."]
    assert Activity.objects.filter(action="periodic_task.run_now").count() == 2
