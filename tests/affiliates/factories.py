"""Factories of the affiliate program. Affiliates are enrolled through the service, so the tree paths exist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from crm.affiliates import services
from crm.affiliates.models import (
    Affiliate,
    Banner,
    Bucket,
    Campaign,
    CommissionLedger,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
    LandingPage,
    PayoutWallet,
    ReferralAction,
    ReferralLink,
    ReferralNote,
    Source,
    TargetGroup,
)
from tests.customers.factories import CustomerFactory
from tests.wallets.factories import CurrencyFactory, WalletFactory


class CommissionModelFactory(DjangoModelFactory):
    class Meta:
        model = CommissionModel

    name = factory.Sequence(lambda n: f"Plan {n}")
    hold_days = 14


class CommissionLevelFactory(DjangoModelFactory):
    class Meta:
        model = CommissionLevel

    commission_model = factory.SubFactory(CommissionModelFactory)
    level = 1


class CommissionRuleFactory(DjangoModelFactory):
    class Meta:
        model = CommissionRule

    level = factory.SubFactory(CommissionLevelFactory)
    kind = CommissionRule.Kind.CPA
    amount = Decimal("100")
    currency = factory.SubFactory(CurrencyFactory, code="USD")


class AffiliateFactory(DjangoModelFactory):
    """An active affiliate (enrolled by the service: tree paths, referral key, plan)."""

    class Meta:
        model = Affiliate

    customer = factory.SubFactory(CustomerFactory)
    parent = None
    status = Affiliate.Status.ACTIVE
    currency = factory.SubFactory(CurrencyFactory, code="USD")
    commission_model = None

    @classmethod
    def _create(cls, model_class, customer, parent=None, currency=None, commission_model=None, **kwargs):
        code = currency.code if currency is not None else "USD"
        return services.enroll_affiliate(
            customer,
            actor=None,
            parent=parent,
            currency=code,
            commission_model=commission_model,
            **kwargs,
        )


def referral_of(affiliate: Affiliate, **kwargs):
    """A client introduced by `affiliate`."""
    return CustomerFactory(introducer=affiliate.customer, **kwargs)


class ReferralActionFactory(DjangoModelFactory):
    class Meta:
        model = ReferralAction

    action_type = ReferralAction.Type.FTD
    source_id = factory.Sequence(lambda n: 10_000 + n)
    customer = factory.SubFactory(CustomerFactory)
    affiliate = factory.LazyAttribute(lambda o: Affiliate.objects.filter(customer_id=o.customer.introducer_id).first())
    country = factory.LazyAttribute(lambda o: str(o.customer.country or ""))
    amount = Decimal("500")
    currency = "USD"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))


class CommissionLedgerFactory(DjangoModelFactory):
    """A record as the run would write it (rule and action made to match)."""

    class Meta:
        model = CommissionLedger

    introducer = factory.SubFactory(AffiliateFactory)
    referral = factory.LazyAttribute(lambda o: referral_of(o.introducer))
    level = 1
    rule = factory.SubFactory(CommissionRuleFactory)
    action = factory.LazyAttribute(lambda o: ReferralActionFactory(customer=o.referral))
    commission_type = CommissionRule.Kind.CPA
    action_type = ReferralAction.Type.FTD
    commission_amount = Decimal("100.00")
    currency = factory.SubFactory(CurrencyFactory, code="USD")
    action_timestamp = factory.LazyFunction(timezone.now)
    hold_until = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    status = CommissionLedger.Status.APPROVED


class PayoutWalletFactory(DjangoModelFactory):
    class Meta:
        model = PayoutWallet

    affiliate = factory.SubFactory(AffiliateFactory)
    wallet = factory.LazyAttribute(lambda o: WalletFactory(customer=o.affiliate.customer))
    is_default = True


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    affiliate = factory.SubFactory(AffiliateFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    code = factory.Sequence(lambda n: f"campaign-{n}")


class ReferralLinkFactory(DjangoModelFactory):
    class Meta:
        model = ReferralLink

    affiliate = factory.SubFactory(AffiliateFactory)
    target_url = "https://broker.example.com/open-account"
    utm_source = "affiliate"


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    affiliate = factory.SubFactory(AffiliateFactory)
    name = factory.Sequence(lambda n: f"source-{n}")


class BucketFactory(DjangoModelFactory):
    class Meta:
        model = Bucket

    affiliate = factory.SubFactory(AffiliateFactory)
    name = factory.Sequence(lambda n: f"Bucket {n}")


class ReferralNoteFactory(DjangoModelFactory):
    class Meta:
        model = ReferralNote

    affiliate = factory.SubFactory(AffiliateFactory)
    customer = factory.LazyAttribute(lambda o: referral_of(o.affiliate))
    body = "Called, interested."


class TargetGroupFactory(DjangoModelFactory):
    class Meta:
        model = TargetGroup

    name = factory.Sequence(lambda n: f"Target group {n}")


class BannerFactory(DjangoModelFactory):
    class Meta:
        model = Banner

    name = factory.Sequence(lambda n: f"Banner {n}")
    image = factory.LazyFunction(lambda: ContentFile(b"GIF89a", name="banner.gif"))
    width, height = 300, 250


class LandingPageFactory(DjangoModelFactory):
    class Meta:
        model = LandingPage

    name = factory.Sequence(lambda n: f"Landing {n}")
    url = factory.Sequence(lambda n: f"https://broker.example.com/lp/{n}")
