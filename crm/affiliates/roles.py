"""What each staff role may do in the affiliate program (Admin gets every permission anyway)."""

from crm.core.roles import Role

_MODELS = [
    "affiliate",
    "affiliateapikey",
    "affiliatetreepath",
    "attribution",
    "attributionflag",
    "banner",
    "bucket",
    "campaign",
    "commissionledger",
    "commissionlevel",
    "commissionmodel",
    "commissionrule",
    "landingpage",
    "payoutrequest",
    "payoutwallet",
    "referralaction",
    "referrallink",
    "referralnote",
    "source",
    "targetgroup",
]
_VIEW = [f"affiliates.view_{name}" for name in _MODELS]
_EDIT_PROGRAM = [
    f"affiliates.{verb}_{name}"
    for name in (
        "affiliate",
        "banner",
        "bucket",
        "campaign",
        "commissionlevel",
        "commissionmodel",
        "commissionrule",
        "landingpage",
        "referrallink",
        "source",
        "targetgroup",
    )
    for verb in ("add", "change")
]

GRANTS = {
    Role.AFFILIATE_MANAGER: [
        *_VIEW,
        *_EDIT_PROGRAM,
        "affiliates.view_all_affiliates",
        "affiliates.approve_affiliate",
        "affiliates.reassign_referral",
        "affiliates.review_attribution",
        "affiliates.view_downline_stats",
        "affiliates.review_commission",
        "affiliates.run_commissions",
        "affiliates.change_commissionledger",
        "affiliates.view_own_buckets",
    ],
    # Finance pays: it sees the ledger and approves or rejects payout requests.
    Role.FINANCE: [
        "affiliates.view_affiliate",
        "affiliates.view_all_affiliates",
        "affiliates.view_commissionledger",
        "affiliates.view_payoutrequest",
        "affiliates.view_payoutwallet",
        "affiliates.change_payoutrequest",
        "affiliates.approve_payoutrequest",
    ],
}

RUN_NOW = {
    "crm.affiliates.tasks.run_commissions_task": "affiliates.run_commissions",
    "crm.affiliates.tasks.approve_due_commissions_task": "affiliates.review_commission",
    "crm.affiliates.tasks.run_monthly_payouts_task": "affiliates.approve_payoutrequest",
}
