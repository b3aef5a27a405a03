"""Payouts under concurrency, on PostgreSQL with real row locks: one request, one payment, whatever the races."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from crm.affiliates import services
from crm.affiliates.models import PayoutRequest
from crm.core.exceptions import DomainError
from crm.wallets.selectors import wallet_balance
from tests.affiliates.factories import CommissionLedgerFactory, PayoutWalletFactory
from tests.conftest import staff_with_role
from tests.wallets.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_payout_requests_make_one_pending_request():
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("30.00"))

    results = run_together(
        [
            lambda: services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)
            for _ in range(6)
        ]
    )

    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)] == []
    assert PayoutRequest.objects.count() == 1


def test_parallel_approvals_pay_once():
    from crm.core.roles import Role

    finance = staff_with_role(Role.FINANCE)
    payout_wallet = PayoutWalletFactory()
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("30.00"))
    request = services.create_payout_request(payout_wallet.affiliate, payout_wallet=payout_wallet, actor=None)

    results = run_together([lambda: services.approve_payout_request(request, actor=finance) for _ in range(6)])

    assert [r for r in results if isinstance(r, Exception)] == []
    assert wallet_balance(payout_wallet.wallet) == Decimal("30.00")
    call_command("verify_ledger")
