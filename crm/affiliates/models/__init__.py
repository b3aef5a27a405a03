"""The affiliate (IB) program: profiles and tree, attribution, commission plans and ledger, payouts, marketing.

An introducer is a client (DESIGN): `Affiliate` is the program profile hanging off a `Customer`, whose
referrals are the clients with `Customer.introducer` pointing at it. The referral key is the client's own
`Customer.referral_key` (the sign-up reads it there), kept to 5-20 characters by the services.

The IB tree is explicit (`Affiliate.parent`, sub-IBs to any depth) and mirrored in the closure table
`AffiliateTreePath` (every ancestor of every affiliate with its distance), so a commission run reaches every
level of the tree with one join instead of a recursive walk. A new affiliate's parent is the affiliate
profile of the client's own introducer, unless staff set another.
"""

from crm.affiliates.models.commissions import (
    CommissionLedger,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
    ReferralAction,
)
from crm.affiliates.models.marketing import Banner, LandingPage, TargetGroup
from crm.affiliates.models.payouts import PayoutRequest, PayoutWallet
from crm.affiliates.models.program import (
    Affiliate,
    AffiliateApiKey,
    AffiliateTreePath,
    Attribution,
    AttributionFlag,
    Bucket,
    Campaign,
    ReferralLink,
    ReferralNote,
    Source,
)

__all__ = [
    "Affiliate",
    "AffiliateApiKey",
    "AffiliateTreePath",
    "Attribution",
    "AttributionFlag",
    "Banner",
    "Bucket",
    "Campaign",
    "CommissionLedger",
    "CommissionLevel",
    "CommissionModel",
    "CommissionRule",
    "LandingPage",
    "PayoutRequest",
    "PayoutWallet",
    "ReferralAction",
    "ReferralLink",
    "ReferralNote",
    "Source",
    "TargetGroup",
]
