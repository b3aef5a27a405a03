"""Beat tasks: each one run twice has one effect."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.affiliates import tasks
from crm.affiliates.models import CommissionLedger, PayoutRequest
from crm.wallets.selectors import wallet_balance
from tests.affiliates.factories import (
    AffiliateFactory,
    CommissionLedgerFactory,
    CommissionLevelFactory,
    CommissionRuleFactory,
    PayoutWalletFactory,
    ReferralActionFactory,
    referral_of,
)

pytestmark = pytest.mark.django_db


def test_commission_task_run_twice_creates_the_records_once():
    level = CommissionLevelFactory()
    CommissionRuleFactory(level=level, amount=Decimal("50"))
    affiliate = AffiliateFactory(commission_model=level.commission_model)
    ReferralActionFactory(customer=referral_of(affiliate))

    first = tasks.run_commissions_task()
    second = tasks.run_commissions_task()

    assert (first["created"], second["created"]) == (1, 0)
    assert CommissionLedger.objects.count() == 1


def test_approval_task_run_twice_approves_once():
    CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)

    assert (tasks.approve_due_commissions_task(), tasks.approve_due_commissions_task()) == (1, 0)


def test_monthly_payout_task_run_twice_pays_once():
    payout_wallet = PayoutWalletFactory(affiliate=AffiliateFactory(auto_payout=True))
    CommissionLedgerFactory(introducer=payout_wallet.affiliate, commission_amount=Decimal("20.00"))

    tasks.run_monthly_payouts_task()
    tasks.run_monthly_payouts_task()

    assert PayoutRequest.objects.count() == 1
    assert wallet_balance(payout_wallet.wallet) == Decimal("20.00")
