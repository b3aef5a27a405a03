"""Affiliate admin: flat changelists, ledger review actions, payout queue, tree and statistics pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.affiliates.models import Affiliate, CommissionLedger, PayoutRequest
from crm.core.roles import Role
from crm.wallets.selectors import wallet_balance
from tests.affiliates.factories import (
    AffiliateFactory,
    CommissionLedgerFactory,
    PayoutWalletFactory,
    referral_of,
)
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import CurrencyFactory

pytestmark = pytest.mark.django_db
CONFIRM = {"_form_submitted": "True"}  # what the action's confirmation dialog posts
Status = CommissionLedger.Status


@pytest.fixture
def manager(db):
    return staff_with_role(Role.AFFILIATE_MANAGER)


def _some_rows():
    record = CommissionLedgerFactory(status=Status.PENDING)
    PayoutWalletFactory(affiliate=record.introducer)
    AffiliateFactory(parent=record.introducer)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:affiliates_affiliate_changelist",
        "admin:affiliates_commissionledger_changelist",
        "admin:affiliates_payoutrequest_changelist",
        "admin:affiliates_commissionmodel_changelist",
        "admin:affiliates_attributionflag_changelist",
    ],
)
def test_changelist_queries_are_flat(client, manager, url_name):
    client.force_login(manager)
    _some_rows()
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(6):
        _some_rows()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(url_name))

    assert len(many) == len(few)


def test_ledger_row_explains_its_rule_and_event(client, manager):
    client.force_login(manager)
    record = CommissionLedgerFactory()

    page = client.get(reverse("admin:affiliates_commissionledger_change", args=[record.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert f"rule #{record.rule_id}, level 1 of plan" in body
    assert f"First deposit #{record.action.source_id} of client #{record.referral_id}" in body


def test_manager_corrects_a_commission_with_a_comment(client, manager):
    client.force_login(manager)
    record = CommissionLedgerFactory(status=Status.PENDING)

    client.post(
        reverse("admin:affiliates_commissionledger_correct_record", args=[record.pk]),
        {"_form_submitted": "True", "amount": "60", "comment": "Partial refund agreed"},
    )

    record.refresh_from_db()
    assert (record.corrected_commission_amount, record.admin_comments, record.admin) == (
        Decimal("60.00"),
        "Partial refund agreed",
        manager,
    )


def test_manager_rejects_and_bulk_approves(client, manager):
    client.force_login(manager)
    rejected, approved = CommissionLedgerFactory(status=Status.PENDING), CommissionLedgerFactory(status=Status.PENDING)

    client.post(
        reverse("admin:affiliates_commissionledger_reject_record", args=[rejected.pk]),
        {"_form_submitted": "True", "reason": "Duplicate account"},
    )
    client.post(
        reverse("admin:affiliates_commissionledger_changelist"),
        {"action": "approve_selected", "_selected_action": [approved.pk, rejected.pk]},
    )

    assert dict(CommissionLedger.objects.values_list("pk", "status")) == {
        rejected.pk: Status.REJECTED,
        approved.pk: Status.APPROVED,
    }


def test_ledger_cannot_be_edited_or_deleted_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    record = CommissionLedgerFactory()

    client.post(reverse("admin:affiliates_commissionledger_delete", args=[record.pk]), {"post": "yes"})

    assert CommissionLedger.objects.filter(pk=record.pk).exists()


def test_finance_approves_a_payout_from_the_queue(client):
    finance = staff_with_role(Role.FINANCE)
    client.force_login(finance)
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("45.00"))
    from crm.affiliates import services

    request = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)

    client.post(reverse("admin:affiliates_payoutrequest_approve_request", args=[request.pk]), CONFIRM)

    request.refresh_from_db()
    assert request.status == PayoutRequest.Status.APPROVED
    assert wallet_balance(payout_wallet.wallet) == Decimal("45.00")


def test_affiliate_manager_cannot_pay_out(client, manager):
    client.force_login(manager)
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate)
    from crm.affiliates import services

    request = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)

    client.post(reverse("admin:affiliates_payoutrequest_approve_request", args=[request.pk]), CONFIRM)

    request.refresh_from_db()
    assert request.status == PayoutRequest.Status.PENDING


def test_tree_and_statistics_pages_show_the_downline(client, manager):
    client.force_login(manager)
    top = AffiliateFactory()
    below = AffiliateFactory(parent=top)
    referral_of(below, first_deposit_at="2025-01-01T00:00:00Z")
    CommissionLedgerFactory(introducer=top, level=2, commission_amount=Decimal("12.00"))

    tree = client.get(reverse("admin:affiliates_affiliate_tree", args=[top.pk]))
    stats = client.get(reverse("admin:affiliates_affiliate_statistics", args=[top.pk]))

    assert tree.status_code == stats.status_code == 200
    assert str(below.customer) in tree.content.decode()
    level_two = next(row for row in stats.context["levels"] if row["level"] == 2)
    assert (level_two["affiliates"], level_two["referrals"], level_two["ftds"], level_two["approved"]) == (
        1,
        1,
        1,
        Decimal("12.00"),
    )


def test_manager_enrols_a_client_and_suspends_it_with_a_reason(client, manager):
    client.force_login(manager)
    customer = CustomerFactory()
    CurrencyFactory(code="USD")

    client.post(
        reverse("admin:affiliates_affiliate_add"),
        {"customer": customer.pk, "currency": "USD", "show_contact_details": "", "auto_payout": ""},
    )
    affiliate = Affiliate.objects.get(customer=customer)
    client.post(
        reverse("admin:affiliates_affiliate_suspend", args=[affiliate.pk]),
        {"_form_submitted": "True", "reason": "Brand bidding"},
    )

    affiliate.refresh_from_db()
    assert (affiliate.status, affiliate.status_reason) == (Affiliate.Status.SUSPENDED, "Brand bidding")
