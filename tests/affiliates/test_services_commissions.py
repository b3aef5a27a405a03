"""The commission run: every rule kind at several levels of a 3-level tree, limits, caps, conversion, re-runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.affiliates import services
from crm.affiliates.models import Affiliate, CommissionLedger, CommissionRule, ReferralAction
from tests.affiliates.factories import (
    AffiliateFactory,
    CommissionLevelFactory,
    CommissionModelFactory,
    CommissionRuleFactory,
    ReferralActionFactory,
    referral_of,
)
from tests.wallets.factories import CurrencyFactory, ExchangeRateFactory

pytestmark = pytest.mark.django_db
Kind = CommissionRule.Kind
Type = ReferralAction.Type


@pytest.fixture
def plan():
    """A plan with three levels and no rules yet."""
    model = CommissionModelFactory(hold_days=10)
    return {n: CommissionLevelFactory(commission_model=model, level=n) for n in (1, 2, 3)}


@pytest.fixture
def tree(plan):
    """master <- sub <- sub_sub, all on the plan; `client` was introduced by sub_sub."""
    model = plan[1].commission_model
    master = AffiliateFactory(commission_model=model)
    sub = AffiliateFactory(parent=master, commission_model=model)
    sub_sub = AffiliateFactory(parent=sub, commission_model=model)
    return {"master": master, "sub": sub, "sub_sub": sub_sub, "client": referral_of(sub_sub, country="GB")}


def rule(level, kind=Kind.CPA, **values):
    if kind in CommissionRule.FIXED_KINDS:
        values.setdefault("amount", Decimal("100"))
    else:
        values.setdefault("percent", Decimal("10"))
        values.setdefault("amount", None)
    return CommissionRuleFactory(level=level, kind=kind, **values)


def position(client, **values):
    defaults = {
        "action_type": Type.POSITION_CLOSED,
        "amount": Decimal(0),
        "instrument": "EURUSD",
        "instrument_group": "FX",
        "lots": Decimal("2"),
        "holding_seconds": 3600,
    }
    return ReferralActionFactory(customer=client, **{**defaults, **values})


def earned(affiliate=None) -> list[tuple]:
    records = CommissionLedger.objects.order_by("level", "commission_type", "pk")
    if affiliate is not None:
        records = records.filter(introducer=affiliate)
    return [(r.level, r.commission_type, r.commission_amount, r.currency_id) for r in records]


def test_cpa_pays_every_level_of_the_tree_on_a_qualifying_first_deposit(plan, tree):
    rule(plan[1], amount=Decimal("100"), min_deposit=Decimal("250"))
    rule(plan[2], amount=Decimal("30"))
    rule(plan[3], amount=Decimal("10"))
    action = ReferralActionFactory(customer=tree["client"], amount=Decimal("500"))

    result = services.run_commissions()

    assert result.created == 3
    assert [(r.introducer_id, r.level, r.commission_amount) for r in CommissionLedger.objects.order_by("level")] == [
        (tree["sub_sub"].pk, 1, Decimal("100")),
        (tree["sub"].pk, 2, Decimal("30")),
        (tree["master"].pk, 3, Decimal("10")),
    ]
    record = CommissionLedger.objects.get(level=1)
    assert record.status == CommissionLedger.Status.PENDING
    assert record.hold_until == action.occurred_at + dt.timedelta(days=10)
    assert (record.referral_id, record.action_id, record.action_type) == (tree["client"].pk, action.pk, "FTD")
    assert ReferralAction.objects.get().is_processed


def test_cpa_is_not_paid_below_the_minimum_deposit_or_outside_its_countries(plan, tree):
    rule(plan[1], min_deposit=Decimal("250"))
    rule(plan[2], countries="DE,FR")
    ReferralActionFactory(customer=tree["client"], amount=Decimal("200"))

    services.run_commissions()

    assert earned() == []


def test_revenue_share_pays_net_deposits_per_level(plan, tree):
    rule(plan[1], Kind.REVENUE_SHARE, percent=Decimal("10"))
    rule(plan[2], Kind.REVENUE_SHARE, percent=Decimal("5"))
    ReferralActionFactory(customer=tree["client"], action_type=Type.DEPOSIT, amount=Decimal("1000"))
    ReferralActionFactory(customer=tree["client"], action_type=Type.WITHDRAWAL, amount=Decimal("400"))

    services.run_commissions()

    assert sorted(earned()) == [
        (1, "REVENUE_SHARE", Decimal("-40.00"), "USD"),
        (1, "REVENUE_SHARE", Decimal("100.00"), "USD"),
        (2, "REVENUE_SHARE", Decimal("-20.00"), "USD"),
        (2, "REVENUE_SHARE", Decimal("50.00"), "USD"),
    ]


def test_cpl_pays_a_qualified_lead(plan, tree):
    rule(plan[1], Kind.CPL, amount=Decimal("25"))
    rule(plan[3], Kind.CPL, amount=Decimal("2"))
    ReferralActionFactory(customer=tree["client"], action_type=Type.LEAD_QUALIFIED, amount=Decimal(0), currency="")

    services.run_commissions()

    assert earned() == [(1, "CPL", Decimal("25.00"), "USD"), (3, "CPL", Decimal("2.00"), "USD")]


def test_lot_rebate_by_instrument_and_by_group(plan, tree):
    rule(plan[1], Kind.LOT_REBATE, amount=Decimal("5"), instruments="eurusd")
    rule(plan[2], Kind.LOT_REBATE, amount=Decimal("8"), instrument_groups="METALS")
    position(tree["client"], instrument="EURUSD", lots=Decimal("2"))
    position(tree["client"], instrument="XAUUSD", instrument_group="METALS", lots=Decimal("1.5"))
    position(tree["client"], instrument="GBPUSD", lots=Decimal("3"))

    services.run_commissions()

    assert earned() == [(1, "LOT_REBATE", Decimal("10.00"), "USD"), (2, "LOT_REBATE", Decimal("12.00"), "USD")]


def test_scalped_positions_earn_nothing(plan, tree):
    rule(plan[1], Kind.LOT_REBATE, amount=Decimal("5"), min_holding_seconds=120)
    position(tree["client"], holding_seconds=30)
    position(tree["client"], holding_seconds=120)

    services.run_commissions()

    assert earned() == [(1, "LOT_REBATE", Decimal("10.00"), "USD")]


def test_share_of_trading_commission_and_spread_capped_per_action(plan, tree):
    rule(plan[1], Kind.COMMISSION_SHARE, percent=Decimal("50"))
    rule(plan[2], Kind.SPREAD_SHARE, percent=Decimal("20"), cap_amount=Decimal("3"))
    rule(plan[3], Kind.SPREAD_SHARE, percent=Decimal("10"))
    position(tree["client"], trading_commission=Decimal("7"), spread=Decimal("25"))

    services.run_commissions()

    assert earned() == [
        (1, "COMMISSION_SHARE", Decimal("3.50"), "USD"),
        (2, "SPREAD_SHARE", Decimal("3.00"), "USD"),
        (3, "SPREAD_SHARE", Decimal("2.50"), "USD"),
    ]


def test_commissions_are_converted_to_the_affiliate_currency_and_rounded_down(plan, tree):
    CurrencyFactory(code="EUR")
    ExchangeRateFactory(rate=Decimal("1.10"))  # EUR -> USD
    Affiliate.objects.filter(pk=tree["sub"].pk).update(currency_id="EUR")
    rule(plan[1], amount=Decimal("100"))
    rule(plan[2], amount=Decimal("100"))
    ReferralActionFactory(customer=tree["client"], amount=Decimal("500"))

    services.run_commissions()

    record = CommissionLedger.objects.get(introducer=tree["sub"])
    assert (record.commission_amount, record.currency_id) == (Decimal("90.90"), "EUR")
    assert record.exchange_rate == Decimal("0.909090909091")
    assert earned(tree["sub_sub"]) == [(1, "CPA", Decimal("100.00"), "USD")]


def test_actions_in_a_currency_without_a_rate_wait_for_the_next_run(plan, tree):
    CurrencyFactory(code="EUR")
    rule(plan[1], Kind.REVENUE_SHARE, percent=Decimal("10"))
    action = ReferralActionFactory(customer=tree["client"], action_type=Type.DEPOSIT, currency="EUR")

    result = services.run_commissions()

    action.refresh_from_db()
    assert (result.created, result.skipped_currencies, action.is_processed) == (0, ["EUR"], False)
    ExchangeRateFactory(rate=Decimal("1.10"))
    assert services.run_commissions().created == 1


def test_running_twice_creates_nothing_new(plan, tree):
    rule(plan[1])
    rule(plan[2], Kind.LOT_REBATE, amount=Decimal("1"))
    ReferralActionFactory(customer=tree["client"])
    position(tree["client"])
    services.run_commissions()
    ReferralAction.objects.update(is_processed=False)  # even a forced re-run over the same actions

    second = services.run_commissions()

    assert second.created == 0
    assert CommissionLedger.objects.count() == 2


def test_suspended_and_pending_affiliates_earn_nothing(plan, tree):
    rule(plan[1])
    rule(plan[2])
    rule(plan[3])
    services.suspend_affiliate(tree["sub"], reason="Incentivised traffic", actor=None)
    Affiliate.objects.filter(pk=tree["master"].pk).update(status=Affiliate.Status.PENDING)
    ReferralActionFactory(customer=tree["client"])

    services.run_commissions()

    assert [r.introducer_id for r in CommissionLedger.objects.all()] == [tree["sub_sub"].pk]


def test_the_default_plan_applies_to_affiliates_without_one(tree):
    default = CommissionModelFactory(is_default=True)
    rule(CommissionLevelFactory(commission_model=default, level=1), amount=Decimal("40"))
    Affiliate.objects.filter(pk=tree["sub_sub"].pk).update(commission_model=None)
    ReferralActionFactory(customer=tree["client"])

    services.run_commissions()

    assert earned() == [(1, "CPA", Decimal("40.00"), "USD")]


def test_commissions_stay_with_the_introducer_of_the_action(plan, tree):
    rule(plan[1])
    ReferralActionFactory(customer=tree["client"])
    other = AffiliateFactory(commission_model=plan[1].commission_model)
    staff = None
    services.reassign_referral(tree["client"], affiliate=other, actor=staff, reason="Proven by the partner")
    tree["client"].refresh_from_db()
    ReferralActionFactory(customer=tree["client"], action_type=Type.FTD)

    services.run_commissions()

    assert sorted(r.introducer_id for r in CommissionLedger.objects.all()) == sorted([tree["sub_sub"].pk, other.pk])


def test_disabled_rules_and_plans_pay_nothing(plan, tree):
    rule(plan[1], is_enabled=False)
    rule(plan[2])
    plan[2].commission_model.__class__.objects.filter(pk=plan[2].commission_model_id).update(is_enabled=False)
    ReferralActionFactory(customer=tree["client"], occurred_at=timezone.now())

    services.run_commissions()

    assert earned() == []
