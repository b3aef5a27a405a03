"""What each staff role may do with payment providers, methods, whitelists and webhooks."""

from crm.core.roles import Role

_READ = [
    "payments.view_paymentprovider",
    "payments.view_paymentmethod",
    "payments.view_paymentmethodgroup",
]

GRANTS = {
    Role.FINANCE: [
        *_READ,
        "payments.change_paymentprovider",
        "payments.add_paymentmethod",
        "payments.change_paymentmethod",
        "payments.add_paymentmethodgroup",
        "payments.change_paymentmethodgroup",
        "payments.delete_paymentmethodgroup",
        "payments.view_whitelistedaddress",
        "payments.add_whitelistedaddress",
        "payments.change_whitelistedaddress",
        "payments.view_webhookevent",
        "payments.reprocess_webhookevent",
        "payments.view_providercontradiction",
        "payments.review_providercontradiction",
        "payments.view_payout",
        "payments.manage_payout",
    ],
    Role.COMPLIANCE: [*_READ, "payments.view_whitelistedaddress", "payments.change_whitelistedaddress"],
    Role.SUPPORT: [*_READ, "payments.view_whitelistedaddress"],
    Role.SALES_MANAGER: _READ,
}

RUN_NOW = {
    "crm.payments.tasks.sweep_payouts_task": "payments.manage_payout",
    "crm.payments.tasks.sweep_webhooks_task": "payments.view_webhookevent",
}
