"""Domain errors of the affiliate program, each with a stable code."""

from crm.core.exceptions import DomainError


class AffiliateError(DomainError):
    code = "affiliate_error"


class InvalidReferralKey(AffiliateError):
    code = "invalid_referral_key"


class ReferralKeyTaken(AffiliateError):
    code = "referral_key_taken"


class InvalidTree(AffiliateError):
    code = "invalid_tree"


class InvalidStatus(AffiliateError):
    code = "invalid_status"


class LedgerLocked(AffiliateError):
    """A paid-out or rejected record does not change."""

    code = "ledger_locked"


class PayoutPending(AffiliateError):
    code = "payout_pending"
    status_code = 409


class PayoutBelowMinimum(AffiliateError):
    code = "payout_below_minimum"


class InvalidPayoutWallet(AffiliateError):
    code = "invalid_payout_wallet"


class CommissionNotApproved(AffiliateError):
    """A staff approval that could not be done: `referral_flagged`, `commission_on_hold` or `invalid_transition`."""

    code = "commission_not_approved"
    status_code = 409
