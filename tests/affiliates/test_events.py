"""Outbox handlers: attribution on new clients and leads, referral actions from money, lead and trading events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.affiliates.models import Attribution, ReferralAction
from crm.core.events import emit
from crm.core.services import set_setting
from crm.sales import services as sales
from crm.wallets import services as wallets
from tests.affiliates.factories import AffiliateFactory, referral_of
from tests.customers.factories import CustomerFactory, SalesStatusFactory
from tests.sales.factories import LeadFactory
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db
Type = ReferralAction.Type


def test_a_new_client_is_attributed_from_its_event(django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory()
    customer = CustomerFactory(attribution={"wtreferrer": affiliate.customer.referral_key})

    with django_capture_on_commit_callbacks(execute=True):
        emit("customer.registered", customer_id=customer.pk)

    assert Attribution.objects.get(customer=customer).affiliate == affiliate


def test_a_confirmed_first_deposit_stores_one_ftd_and_one_deposit(django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory()
    client = referral_of(affiliate, country="DE")
    wallet = WalletFactory(customer=client)

    with django_capture_on_commit_callbacks(execute=True):
        txn = wallets.start_deposit(client, wallet=wallet, amount=Decimal("300"), actor=None)
        wallets.confirm_deposit(txn, provider_reference="psp-1")

    actions = list(ReferralAction.objects.order_by("action_type").values_list("action_type", "source_id", "amount"))
    assert actions == [(Type.DEPOSIT, txn.pk, Decimal("300")), (Type.FTD, txn.pk, Decimal("300"))]
    ftd = ReferralAction.objects.get(action_type=Type.FTD)
    assert (ftd.affiliate, ftd.customer, ftd.country, ftd.currency) == (affiliate, client, "DE", "USD")


def test_clients_without_an_introducer_store_nothing(django_capture_on_commit_callbacks):
    client = CustomerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        emit("deposit.first", transaction_id=5, customer_id=client.pk, amount="10", currency="USD")

    assert not ReferralAction.objects.exists()


def test_position_closed_payload_is_stored_with_its_holding_time(django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory()
    client = referral_of(affiliate)
    payload = {
        "position_id": 900,
        "customer_id": client.pk,
        "instrument": "xauusd",
        "instrument_group": "metals",
        "lots": "1.50",
        "commission": "-7.00",
        "spread": "12.30",
        "currency": "USD",
        "opened_at": "2025-01-01T10:00:00+00:00",
        "closed_at": "2025-01-01T10:01:30+00:00",
    }

    with django_capture_on_commit_callbacks(execute=True):
        emit("position.closed", **payload)
        emit("position.closed", **payload)

    action = ReferralAction.objects.get()
    assert (action.instrument, action.instrument_group, action.lots, action.trading_commission) == (
        "XAUUSD",
        "METALS",
        Decimal("1.5"),
        Decimal("7"),
    )
    assert (action.spread, action.holding_seconds, action.affiliate) == (Decimal("12.3"), 90, affiliate)


def test_a_spot_fill_is_stored_as_a_spot_trade_and_other_fills_are_not(django_capture_on_commit_callbacks):
    client = referral_of(AffiliateFactory())
    payload = {
        "order_id": 41, "position_id": None, "fill_id": 7, "market_type": "SPOT", "customer_id": client.pk,
        "instrument": "BTCUSD", "instrument_group": "CRYPTO", "lots": "0.01", "commission": "0.5", "spread": "0",
        "currency": "USD", "opened_at": "2025-01-01T10:00:00+00:00", "closed_at": "2025-01-01T10:00:00+00:00",
    }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        emit("order.filled", **payload)
        emit("order.filled", **payload)
        emit("order.filled", **{**payload, "fill_id": None, "position_id": 8, "market_type": "CFD"})

    action = ReferralAction.objects.get()
    assert (action.action_type, action.source_id, action.lots, action.trading_commission, action.currency) == (
        Type.SPOT_TRADE,
        7,
        Decimal("0.01"),
        Decimal("0.5"),
        "USD",
    )
    assert (action.instrument, action.holding_seconds) == ("BTCUSD", 0)


def test_refunds_and_chargebacks_name_the_deposit_they_take_back(django_capture_on_commit_callbacks):
    client = referral_of(AffiliateFactory())

    with django_capture_on_commit_callbacks(execute=True):
        emit("deposit.charged_back", transaction_id=77, customer_id=client.pk, amount="100", currency="USD")

    action = ReferralAction.objects.get()
    assert (action.action_type, action.reverses_source_id) == (Type.CHARGEBACK, 77)


def test_a_qualified_lead_of_an_affiliate_stores_a_cpl_action(django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory()
    qualified = SalesStatusFactory(name="Qualified")
    set_setting("affiliates.qualified_lead_statuses", ["Qualified"], value_type="json")

    with django_capture_on_commit_callbacks(execute=True):
        lead = sales.create_lead(actor=None, route=False, email="lead@example.com", affiliate=affiliate.customer)
    with django_capture_on_commit_callbacks(execute=True):
        sales.change_lead_status(lead, sales_status=qualified, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        emit("lead.qualified", lead_id=lead.pk)

    action = ReferralAction.objects.get()
    assert (action.action_type, action.lead, action.affiliate) == (Type.LEAD_QUALIFIED, lead, affiliate)
    assert Attribution.objects.get(lead=lead).affiliate == affiliate


def test_a_lead_in_another_status_is_not_qualified(django_capture_on_commit_callbacks):
    affiliate = AffiliateFactory()
    lead = LeadFactory(affiliate=affiliate.customer)
    set_setting("affiliates.qualified_lead_statuses", ["Qualified"], value_type="json")

    with django_capture_on_commit_callbacks(execute=True):
        sales.change_lead_status(lead, sales_status=SalesStatusFactory(name="Call back"), actor=None)

    assert not ReferralAction.objects.exists()
