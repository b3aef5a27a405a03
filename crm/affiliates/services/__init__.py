"""Every write of the affiliate program. Callers use `from crm.affiliates import services`."""

from crm.affiliates.services.actions import record_closed_positions, record_lead_qualified, record_money_action
from crm.affiliates.services.attribution import (
    attribute_customer,
    attribute_lead,
    check_attribution,
    reassign_referral,
    review_flag,
)
from crm.affiliates.services.calculation import RunResult, run_commissions
from crm.affiliates.services.payouts import (
    add_payout_wallet,
    approve_payout_request,
    create_payout_request,
    has_pending_request,
    minimum_payout,
    payable_amount,
    reject_payout_request,
    run_monthly_payouts,
)
from crm.affiliates.services.program import (
    affiliate_for_api_key,
    approve_affiliate,
    create_api_key,
    default_commission_model,
    delete_grey_label_logos,
    enroll_affiliate,
    move_affiliate,
    revoke_api_key,
    set_grey_label_logos,
    set_referral_key,
    suspend_affiliate,
    update_affiliate,
)
from crm.affiliates.services.review import (
    approve_commissions,
    approve_due_commissions,
    correct_commission,
    reject_commissions,
)

__all__ = [
    "RunResult",
    "add_payout_wallet",
    "affiliate_for_api_key",
    "approve_affiliate",
    "approve_commissions",
    "approve_due_commissions",
    "approve_payout_request",
    "attribute_customer",
    "attribute_lead",
    "check_attribution",
    "correct_commission",
    "create_api_key",
    "create_payout_request",
    "default_commission_model",
    "delete_grey_label_logos",
    "enroll_affiliate",
    "has_pending_request",
    "minimum_payout",
    "move_affiliate",
    "payable_amount",
    "reassign_referral",
    "record_closed_positions",
    "record_lead_qualified",
    "record_money_action",
    "reject_commissions",
    "reject_payout_request",
    "review_flag",
    "revoke_api_key",
    "run_commissions",
    "run_monthly_payouts",
    "set_grey_label_logos",
    "set_referral_key",
    "suspend_affiliate",
    "update_affiliate",
]
