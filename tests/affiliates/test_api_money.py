"""The affiliate's commissions, earnings, payout requests and wallet, scoped to itself; flat query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.affiliates.models import CommissionLedger, PayoutRequest
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.affiliates.factories import CommissionLedgerFactory, PayoutWalletFactory

pytestmark = pytest.mark.django_db
COMMISSIONS = reverse("affiliate:commission-list")
PAYOUTS = reverse("affiliate:payout-request-list")


def _queries(api_client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert api_client.get(url).status_code == 200
    return len(context.captured_queries)


def test_commission_records_are_the_affiliates_own_filtered_by_status(api_client):
    affiliate = portal_affiliate()
    approved = CommissionLedgerFactory(introducer=affiliate)
    pending = CommissionLedgerFactory(introducer=affiliate, status=CommissionLedger.Status.PENDING)
    stranger = CommissionLedgerFactory(introducer=portal_affiliate())
    log_in(api_client, affiliate)

    everything = api_client.get(COMMISSIONS).json()["results"]
    only_pending = api_client.get(COMMISSIONS, {"statuses": ["PENDING"]}).json()["results"]

    assert {row["id"] for row in everything} == {approved.pk, pending.pk}
    assert [row["id"] for row in only_pending] == [pending.pk]
    assert api_client.get(reverse("affiliate:commission-detail", args=[stranger.pk])).status_code == 404


def test_earnings_apply_corrections(api_client):
    affiliate = portal_affiliate()
    CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("100"))
    CommissionLedgerFactory(
        introducer=affiliate, commission_amount=Decimal("100"), corrected_commission_amount=Decimal("40")
    )
    CommissionLedgerFactory(introducer=affiliate, status=CommissionLedger.Status.REJECTED)
    log_in(api_client, affiliate)

    body = api_client.get(reverse("affiliate:earnings-list")).json()

    assert (body["currency"], body["earnings"], body["balance"]) == ("USD", "140.00000000", "140.00000000")


def test_payout_request_is_created_once_and_reported_pending(api_client):
    affiliate = portal_affiliate()
    wallet = PayoutWalletFactory(affiliate=affiliate)
    CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("75"))
    log_in(api_client, affiliate)

    created = api_client.post(PAYOUTS, {"payout_wallet_id": wallet.pk})
    again = api_client.post(PAYOUTS, {"payout_wallet_id": wallet.pk})
    pending = api_client.get(reverse("affiliate:payout-request-has-pending")).json()

    assert (created.status_code, created.json()["amount"], created.json()["status"]) == (201, "75.00000000", "PENDING")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "payout_pending")
    assert pending == {"has_pending_payout_request": True}
    assert PayoutRequest.objects.count() == 1


def test_payout_into_another_affiliates_wallet_is_refused(api_client):
    affiliate = portal_affiliate()
    CommissionLedgerFactory(introducer=affiliate)
    foreign = PayoutWalletFactory(affiliate=portal_affiliate())
    log_in(api_client, affiliate)

    response = api_client.post(PAYOUTS, {"payout_wallet_id": foreign.pk})

    assert (response.status_code, list(response.json()["error"]["fields"])) == (400, ["payout_wallet_id"])
    assert not PayoutRequest.objects.exists()


def test_wallets_and_their_transactions(api_client, admin_staff):
    from crm.affiliates import services

    affiliate = portal_affiliate()
    wallet = PayoutWalletFactory(affiliate=affiliate)
    CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("20"))
    request = services.create_payout_request(affiliate, payout_wallet=wallet, actor=None)
    services.approve_payout_request(request, actor=admin_staff)
    log_in(api_client, affiliate)

    wallets = api_client.get(reverse("affiliate:wallet-list")).json()
    transactions = api_client.get(reverse("affiliate:wallet-transaction-list")).json()["results"]
    payouts = api_client.get(PAYOUTS, {"statuses": ["APPROVED"]}).json()["results"]

    assert [(row["id"], row["balance"]) for row in wallets] == [(wallet.wallet_id, "20.00000000")]
    assert [row["type"] for row in transactions] == ["COMMISSION_PAYOUT"]
    assert [row["id"] for row in payouts] == [request.pk]


@pytest.mark.parametrize("name", ["commission", "payout-request", "wallet-transaction", "downline", "referral"])
def test_list_query_counts_are_flat(api_client, name):
    from tests.affiliates.factories import AffiliateFactory, referral_of

    affiliate = portal_affiliate()
    log_in(api_client, affiliate)
    url = reverse(f"affiliate:{name}-list")

    def add_rows(count: int) -> None:
        for _ in range(count):
            CommissionLedgerFactory(introducer=affiliate)
            PayoutRequest.objects.create(
                introducer=affiliate,
                payout_wallet=PayoutWalletFactory(affiliate=affiliate, is_default=False),
                amount=Decimal("1"),
                currency_id="USD",
                status=PayoutRequest.Status.REJECTED,
                requested_at="2024-01-01T00:00:00Z",
            )
            referral_of(AffiliateFactory(parent=affiliate))

    add_rows(1)
    _queries(api_client, url)
    few = _queries(api_client, url)
    add_rows(6)

    assert _queries(api_client, url) == few
