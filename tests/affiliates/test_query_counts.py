"""The affiliate lists (affiliate API, back-office API, admin) run the same number of queries for 2 rows as for
6: nothing is fetched per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.affiliates.factories import AffiliateFactory, CommissionLedgerFactory, ReferralNoteFactory, referral_of
from tests.conftest import staff_with_role

pytestmark = pytest.mark.django_db


def add_rows(affiliate, count: int) -> None:
    """`count` more of each row kind the lists show: referrals (with a note and a ledger row) and sub-affiliates."""
    for _ in range(count):
        referral = referral_of(affiliate)
        ReferralNoteFactory(affiliate=affiliate, customer=referral)
        CommissionLedgerFactory(introducer=affiliate, referral=referral)
        AffiliateFactory(parent=affiliate)


def queries(get) -> int:
    get()  # the first request of a user also loads its permissions
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200
    return len(captured)


def rows(api_client, url) -> int:
    return api_client.get(url).json()["count"]


@pytest.mark.parametrize("name", ["referral-list", "commission-list", "downline-list"])
def test_affiliate_api_lists_do_not_grow_with_rows(api_client, name):
    affiliate = portal_affiliate()
    log_in(api_client, affiliate)
    url = reverse(f"affiliate:{name}")
    add_rows(affiliate, 2)
    few = queries(lambda: api_client.get(url))

    add_rows(affiliate, 4)
    many = queries(lambda: api_client.get(url))

    assert rows(api_client, url) >= 6
    assert many == few


@pytest.mark.parametrize("name", ["affiliate-list", "commission-ledger-list"])
def test_backoffice_affiliate_lists_do_not_grow_with_rows(api_client, name):
    api_client.force_authenticate(staff_with_role(Role.ADMIN))
    affiliate = portal_affiliate()
    url = reverse(f"backoffice:{name}")
    add_rows(affiliate, 2)
    few = queries(lambda: api_client.get(url))

    add_rows(affiliate, 4)
    many = queries(lambda: api_client.get(url))

    assert rows(api_client, url) >= 6
    assert many == few


@pytest.mark.parametrize("changelist", ["affiliates_affiliate_changelist", "affiliates_commissionledger_changelist"])
def test_admin_changelists_do_not_grow_with_rows(client, changelist):
    client.force_login(staff_with_role(Role.AFFILIATE_MANAGER))
    affiliate = portal_affiliate()
    url = reverse(f"admin:{changelist}")
    add_rows(affiliate, 2)
    few = queries(lambda: client.get(url))

    add_rows(affiliate, 4)
    many = queries(lambda: client.get(url))

    assert many == few
