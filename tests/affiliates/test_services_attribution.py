"""Attribution at sign-up and lead creation, first attribution wins, staff reassignment, fraud flags."""

from __future__ import annotations

import pytest

from crm.affiliates import services
from crm.affiliates.exceptions import AffiliateError
from crm.affiliates.models import Attribution, AttributionFlag, CommissionLedger
from crm.core.models import Activity
from crm.customers.models import Customer
from crm.users.models import Device, LoginRecord
from tests.affiliates.factories import (
    AffiliateFactory,
    CampaignFactory,
    CommissionLedgerFactory,
    ReferralLinkFactory,
    SourceFactory,
)
from tests.customers.factories import CustomerFactory
from tests.sales.factories import LeadFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_referral_key_decides_the_introducer_with_campaign_and_sub_id():
    affiliate = AffiliateFactory()
    campaign = CampaignFactory(affiliate=affiliate, code="spring")
    customer = CustomerFactory(
        campaign="spring", attribution={"wtreferrer": affiliate.customer.referral_key, "sub_id": "banner-7"}
    )

    attribution = services.attribute_customer(customer.pk)

    customer.refresh_from_db()
    assert customer.introducer_id == affiliate.customer_id
    assert (attribution.affiliate, attribution.method, attribution.campaign, attribution.sub_id) == (
        affiliate,
        Attribution.Method.REFERRAL_KEY,
        campaign,
        "banner-7",
    )


def test_affiliate_id_and_referral_link_decide_the_introducer():
    by_id, by_link = AffiliateFactory(), AffiliateFactory()
    link = ReferralLinkFactory(affiliate=by_link, sub_id="lp-2")
    first = CustomerFactory(attribution={"affiliate_id": str(by_id.customer_id)})
    second = CustomerFactory(attribution={"link": str(link.pk)})

    a, b = services.attribute_customer(first.pk), services.attribute_customer(second.pk)

    assert (a.affiliate, a.method) == (by_id, Attribution.Method.AFFILIATE_ID)
    assert (b.affiliate, b.method, b.link, b.sub_id) == (by_link, Attribution.Method.LINK, link, "lp-2")


def test_a_source_owned_by_one_affiliate_decides_the_introducer():
    source = SourceFactory(name="tiktok-eu")
    customer = CustomerFactory(source="tiktok-eu")

    attribution = services.attribute_customer(customer.pk)

    assert attribution.affiliate == source.affiliate


def test_the_lead_of_a_client_carries_its_affiliate():
    affiliate = AffiliateFactory()
    customer = CustomerFactory()
    LeadFactory(customer=customer, affiliate=affiliate.customer)

    attribution = services.attribute_customer(customer.pk)

    assert (attribution.affiliate, attribution.method) == (affiliate, Attribution.Method.LEAD)


def test_first_attribution_wins():
    first, second = AffiliateFactory(), AffiliateFactory()
    customer = CustomerFactory(attribution={"wtreferrer": first.customer.referral_key})
    services.attribute_customer(customer.pk)
    Customer.objects.filter(pk=customer.pk).update(attribution={"wtreferrer": second.customer.referral_key})

    attribution = services.attribute_customer(customer.pk)

    assert attribution.affiliate == first
    assert Attribution.objects.count() == 1


def test_a_suspended_affiliate_attributes_nobody():
    affiliate = AffiliateFactory()
    services.suspend_affiliate(affiliate, reason="Spam", actor=None)
    customer = CustomerFactory(attribution={"wtreferrer": affiliate.customer.referral_key})

    assert services.attribute_customer(customer.pk) is None


def test_staff_reassign_a_referral_and_the_activity_log_keeps_both(admin_staff):
    old, new = AffiliateFactory(), AffiliateFactory()
    customer = CustomerFactory(attribution={"wtreferrer": old.customer.referral_key})
    services.attribute_customer(customer.pk)

    services.reassign_referral(customer, affiliate=new, actor=admin_staff, reason="Partner proved the lead")

    customer.refresh_from_db()
    attribution = Attribution.objects.get(customer=customer)
    assert customer.introducer_id == new.customer_id
    assert (attribution.affiliate, attribution.method, attribution.reassigned_by) == (
        new,
        Attribution.Method.STAFF,
        admin_staff,
    )
    log = Activity.objects.get(action="affiliate.referral_reassigned")
    assert log.changes["affiliate_id"] == [old.pk, new.pk]
    assert log.data == {"reason": "Partner proved the lead"}


def test_a_client_cannot_be_reassigned_to_its_own_downline(admin_staff):
    top = AffiliateFactory()
    below = AffiliateFactory(parent=top)

    with pytest.raises(AffiliateError):
        services.reassign_referral(top.customer, affiliate=below, actor=admin_staff, reason="x")


@pytest.mark.parametrize(
    ("_case", "customer_values", "reason"),
    [
        ("email alias", {"email": "{local}+promo@{domain}"}, AttributionFlag.Reason.SELF_EMAIL),
        ("same phone", {"phone": "{phone}"}, AttributionFlag.Reason.SELF_PHONE),
    ],
)
def test_self_referral_by_email_or_phone_is_flagged(_case, customer_values, reason):
    affiliate = AffiliateFactory(customer=CustomerFactory(email="jo.smith@example.com", phone="+447911000111"))
    values = {
        key: value.format(local="josmith", domain="example.com", phone="+447911000111")
        for key, value in customer_values.items()
    }
    customer = CustomerFactory(attribution={"wtreferrer": affiliate.customer.referral_key}, **values)

    services.attribute_customer(customer.pk)

    assert list(AttributionFlag.objects.values_list("reason", flat=True)) == [reason]


def test_self_referral_from_the_affiliates_device_is_flagged():
    affiliate = AffiliateFactory(customer=CustomerFactory(user=UserFactory()))
    customer = CustomerFactory(user=UserFactory(), attribution={"wtreferrer": affiliate.customer.referral_key})
    Device.objects.create(user=affiliate.customer.user, key="f" * 64)
    Device.objects.create(user=customer.user, key="f" * 64)

    services.attribute_customer(customer.pk)

    assert list(AttributionFlag.objects.values_list("reason", flat=True)) == [AttributionFlag.Reason.SELF_DEVICE]


def test_repeat_sign_ups_from_one_ip_are_flagged():
    affiliate = AffiliateFactory()
    first = CustomerFactory(attribution={"wtreferrer": affiliate.customer.referral_key, "ip": "203.0.113.9"})
    second = CustomerFactory(user=UserFactory(), attribution={"wtreferrer": affiliate.customer.referral_key})
    LoginRecord.objects.create(
        user=second.user, email=second.email, ip_address="203.0.113.9", result="success", reason="sign_up"
    )

    services.attribute_customer(first.pk)
    services.attribute_customer(second.pk)

    flag = AttributionFlag.objects.get()
    assert (flag.customer, flag.reason, flag.details["earlier_signups"]) == (
        second,
        AttributionFlag.Reason.REPEAT_IP,
        1,
    )


def test_confirmed_fraud_rejects_the_unpaid_commissions_of_the_referral(admin_staff):
    record = CommissionLedgerFactory(status=CommissionLedger.Status.PENDING)
    flag = AttributionFlag.objects.create(
        customer=record.referral, affiliate=record.introducer, reason=AttributionFlag.Reason.REPEAT_IP
    )

    services.review_flag(flag, confirmed=True, actor=admin_staff)

    record.refresh_from_db()
    assert record.status == CommissionLedger.Status.REJECTED
    assert record.reject_reason.startswith("Fraud confirmed")


def test_a_lead_of_an_affiliate_is_attributed_once():
    affiliate = AffiliateFactory()
    lead = LeadFactory(affiliate=affiliate.customer, sub_id="s1")

    services.attribute_lead(lead.pk)
    services.attribute_lead(lead.pk)

    attribution = Attribution.objects.get()
    assert (attribution.lead, attribution.affiliate, attribution.sub_id) == (lead, affiliate, "s1")
