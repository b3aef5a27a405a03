"""Back-office endpoints for affiliate managers: affiliates, commission models, ledger review, payout queue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.affiliates.models import Affiliate, CommissionLedger, CommissionModel, CommissionRule, PayoutRequest
from tests.affiliates.factories import (
    AffiliateFactory,
    CommissionLedgerFactory,
    CommissionModelFactory,
    PayoutWalletFactory,
)
from tests.wallets.factories import CurrencyFactory

pytestmark = pytest.mark.django_db
PLAN = {
    "name": "Gold",
    "grey_labeling_enabled": True,
    "hold_days": 7,
    "levels": [
        {
            "level": 1,
            "name": "Own",
            "rules": [{"kind": "CPA", "amount": "200", "currency": "USD", "min_deposit": "100"}],
        },
        {"level": 2, "rules": [{"kind": "REVENUE_SHARE", "percent": "10"}]},
    ],
}


def test_anonymous_and_staff_without_permission_are_refused(api_client, sales_agent):
    url = reverse("backoffice:affiliate-list")

    anonymous = api_client.get(url)
    api_client.force_authenticate(sales_agent)

    assert (anonymous.status_code, api_client.get(url).status_code) == (401, 403)


def test_admin_approves_and_suspends_an_affiliate(api_client, admin_staff):
    affiliate = AffiliateFactory(status=Affiliate.Status.PENDING)
    api_client.force_authenticate(admin_staff)

    approved = api_client.post(reverse("backoffice:affiliate-approve", args=[affiliate.pk]))
    no_reason = api_client.post(reverse("backoffice:affiliate-suspend", args=[affiliate.pk]), {})
    suspended = api_client.post(reverse("backoffice:affiliate-suspend", args=[affiliate.pk]), {"reason": "Fraud"})

    assert approved.json()["status"] == "active"
    assert no_reason.status_code == 400
    assert (suspended.json()["status"], suspended.json()["status_reason"]) == ("suspended", "Fraud")


def test_moving_an_affiliate_under_its_own_downline_is_refused(api_client, admin_staff):
    top = AffiliateFactory()
    below = AffiliateFactory(parent=top)
    api_client.force_authenticate(admin_staff)

    response = api_client.patch(reverse("backoffice:affiliate-detail", args=[top.pk]), {"parent": below.pk})

    assert response.status_code == 400
    assert Affiliate.objects.get(pk=top.pk).parent_id is None


def test_downline_statistics_for_admin(api_client, admin_staff):
    top = AffiliateFactory()
    sub = AffiliateFactory(parent=top)
    api_client.force_authenticate(admin_staff)

    response = api_client.get(reverse("backoffice:affiliate-downline", args=[top.pk]))

    assert [row["id"] for row in response.json()["results"]] == [sub.pk]


def test_commission_model_is_saved_with_levels_and_rules(api_client, admin_staff):
    CurrencyFactory(code="USD")
    api_client.force_authenticate(admin_staff)

    created = api_client.post(reverse("backoffice:commission-model-list"), PLAN, format="json")
    body = created.json()
    rule_id = body["levels"][0]["rules"][0]["id"]
    update = {
        **PLAN,
        "levels": [{"level": 1, "rules": [{"id": rule_id, "kind": "CPA", "amount": "250", "currency": "USD"}]}],
    }
    updated = api_client.put(reverse("backoffice:commission-model-detail", args=[body["id"]]), update, format="json")

    assert created.status_code == 201
    assert [level["level"] for level in body["levels"]] == [1, 2]
    assert updated.status_code == 200
    assert [level["level"] for level in updated.json()["levels"]] == [1]
    assert CommissionRule.objects.get(pk=rule_id).amount == Decimal("250")
    assert CommissionRule.objects.count() == 1


def test_invalid_rule_saves_nothing(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)
    bad = {**PLAN, "levels": [{"level": 1, "rules": [{"kind": "REVENUE_SHARE"}]}]}

    response = api_client.post(reverse("backoffice:commission-model-list"), bad, format="json")

    assert response.status_code == 400
    assert "levels.0.rules.0.percent" in response.json()["error"]["fields"]
    assert not CommissionModel.objects.exists()


def test_a_level_beyond_what_the_database_holds_is_refused_and_saves_nothing(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)
    bad = {**PLAN, "levels": [{"level": 40000, "rules": []}]}

    response = api_client.post(reverse("backoffice:commission-model-list"), bad, format="json")

    assert response.status_code == 400
    assert "levels.0.level" in response.json()["error"]["fields"]
    assert not CommissionModel.objects.exists()


def test_commission_model_in_use_cannot_be_deleted(api_client, admin_staff):
    plan = CommissionModelFactory()
    AffiliateFactory(commission_model=plan)
    api_client.force_authenticate(admin_staff)

    response = api_client.delete(reverse("backoffice:commission-model-detail", args=[plan.pk]))

    assert response.status_code == 409
    assert CommissionModel.objects.filter(pk=plan.pk).exists()


def test_ledger_review_approve_reject_correct(api_client, admin_staff):
    pending = CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)
    other = CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)
    api_client.force_authenticate(admin_staff)

    approved = api_client.post(reverse("backoffice:commission-ledger-approve", args=[pending.pk]))
    rejected = api_client.post(reverse("backoffice:commission-ledger-reject", args=[other.pk]), {"reason": "Dup"})
    corrected = api_client.post(
        reverse("backoffice:commission-ledger-correct", args=[pending.pk]),
        {"corrected_commission_amount": "60", "admin_comments": "Partial refund"},
    )
    no_comment = api_client.post(
        reverse("backoffice:commission-ledger-correct", args=[pending.pk]),
        {"corrected_commission_amount": "60", "admin_comments": ""},
    )

    assert approved.json()["status"] == "APPROVED"
    assert (rejected.json()["status"], rejected.json()["reject_reason"]) == ("REJECTED", "Dup")
    assert (corrected.json()["payable_amount"], corrected.json()["admin_comments"]) == (
        "60.00000000",
        "Partial refund",
    )
    assert corrected.json()["commission_model"] == pending.rule.level.commission_model.name
    assert corrected.json()["rule"].startswith("CPA")
    assert no_comment.status_code == 400


def test_ledger_actions_need_the_review_permission(api_client, finance_officer):
    record = CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)
    api_client.force_authenticate(finance_officer)

    response = api_client.post(reverse("backoffice:commission-ledger-approve", args=[record.pk]))

    assert response.status_code == 403
    assert CommissionLedger.objects.get(pk=record.pk).status == CommissionLedger.Status.PENDING


def test_payout_queue_approve_pays_through_the_ledger_and_reject_frees_the_records(api_client, admin_staff):
    from crm.affiliates import services

    first, second = AffiliateFactory(), AffiliateFactory()
    requests = []
    for affiliate in (first, second):
        wallet = PayoutWalletFactory(affiliate=affiliate)
        CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("30"))
        requests.append(services.create_payout_request(affiliate, payout_wallet=wallet, actor=None))
    api_client.force_authenticate(admin_staff)

    listed = api_client.get(reverse("backoffice:affiliate-payout-request-list"), {"statuses": ["PENDING"]}).json()
    approved = api_client.post(reverse("backoffice:affiliate-payout-request-approve", args=[requests[0].pk]))
    rejected = api_client.post(
        reverse("backoffice:affiliate-payout-request-reject", args=[requests[1].pk]), {"reason": "Check KYC"}
    )

    assert listed["count"] == 2
    assert (approved.json()["status"], approved.json()["transaction_id"] is not None) == ("APPROVED", True)
    assert (rejected.json()["status"], rejected.json()["reject_reason"]) == ("REJECTED", "Check KYC")
    assert CommissionLedger.objects.filter(introducer=first, status="PAIDOUT").count() == 1
    assert CommissionLedger.objects.filter(introducer=second, payout_request__isnull=True).count() == 1
    assert PayoutRequest.objects.get(pk=requests[0].pk).transaction.amount == Decimal("30")


@pytest.mark.parametrize("name", ["affiliate", "commission-ledger", "affiliate-payout-request", "commission-model"])
def test_backoffice_list_queries_are_flat(api_client, admin_staff, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api_client.force_authenticate(admin_staff)
    url = reverse(f"backoffice:{name}-list")

    def add(count):
        for _ in range(count):
            record = CommissionLedgerFactory()
            CommissionModelFactory()
            PayoutRequest.objects.create(
                introducer=record.introducer,
                payout_wallet=PayoutWalletFactory(affiliate=record.introducer),
                amount=Decimal("1"),
                currency_id="USD",
                requested_at="2024-01-01T00:00:00Z",
            )

    def count():
        with CaptureQueriesContext(connection) as context:
            assert api_client.get(url).status_code == 200
        return len(context.captured_queries)

    add(1)
    count()
    few = count()
    add(5)

    assert count() == few
