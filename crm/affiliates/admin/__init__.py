"""Admin of the affiliate program for affiliate managers and Finance, split by page."""

from crm.affiliates.admin.affiliates import AffiliateAdmin, AttributionFlagAdmin
from crm.affiliates.admin.commissions import CommissionLedgerAdmin, CommissionLevelAdmin, CommissionModelAdmin
from crm.affiliates.admin.payouts import PayoutRequestAdmin

__all__ = [
    "AffiliateAdmin",
    "AttributionFlagAdmin",
    "CommissionLedgerAdmin",
    "CommissionLevelAdmin",
    "CommissionModelAdmin",
    "PayoutRequestAdmin",
]
