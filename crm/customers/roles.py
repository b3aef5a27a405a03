"""What each staff role may do with clients."""

from crm.core.roles import Role

_READ_CONFIG = [
    "customers.view_country",
    "customers.view_clienttype",
    "customers.view_verificationlevel",
    "customers.view_salesstatus",
    "customers.view_clientgroup",
    "customers.view_clientrole",
]
_WORK_OWN_CLIENTS = [
    "customers.view_customer",
    "customers.change_customer",
    "customers.view_comment",
    "customers.add_comment",
    "customers.view_call",
    "customers.add_call",
    "customers.email_customer",
    "customers.view_document",
    "customers.add_bookmark",
    "customers.view_bookmark",
    "customers.delete_bookmark",
    *_READ_CONFIG,
]

# Fields of a client only some roles may change; everyone else with `change_customer` sees them read-only.
FIELD_RIGHTS = {
    "customers.customer": {
        "conversion_agent": "customers.assign_customer",
        "retention_agent": "customers.assign_customer",
        "risk_status": "customers.change_risk_status",
        "client_type": "customers.change_client_groups",
        "groups": "customers.change_client_groups",
        "roles": "customers.change_client_groups",
        "introducer": "customers.change_introducer",
    }
}

GRANTS = {
    Role.SALES_AGENT: [*_WORK_OWN_CLIENTS, "customers.add_customer"],
    Role.RETENTION_AGENT: _WORK_OWN_CLIENTS,
    Role.SALES_MANAGER: [
        *_WORK_OWN_CLIENTS,
        "customers.add_customer",
        "customers.view_all_customers",
        "customers.assign_customer",
        "customers.change_customer_status",
        "customers.change_client_groups",
        "customers.export_customer",
        "customers.add_salesstatus",
        "customers.change_salesstatus",
    ],
    Role.COMPLIANCE: [
        *_WORK_OWN_CLIENTS,
        "customers.view_all_customers",
        "customers.view_personal_data",
        "customers.change_customer_status",
        "customers.change_risk_status",
        "customers.change_client_groups",
        "customers.manage_kyc",
        "customers.add_document",
        "customers.change_document",
        "customers.review_document",
        "customers.export_customer",
        "customers.change_verificationlevel",
        "customers.add_verificationlevel",
        "customers.change_country",
        "customers.view_kycwebhook",
        "customers.view_onboardingstepconfiguration",
        "customers.change_onboardingstepconfiguration",
        "customers.view_customerfieldconfiguration",
        "customers.change_customerfieldconfiguration",
    ],
    Role.FINANCE: [
        "customers.view_customer",
        "customers.view_all_customers",
        "customers.view_personal_data",
        "customers.view_document",
        "customers.view_comment",
        "customers.add_comment",
        "customers.export_customer",
        *_READ_CONFIG,
    ],
    Role.AFFILIATE_MANAGER: [
        "customers.view_customer",
        "customers.view_all_customers",
        "customers.change_customer",
        "customers.change_client_groups",
        "customers.change_introducer",
        "customers.view_comment",
        "customers.add_comment",
        *_READ_CONFIG,
    ],
    Role.DEALER: ["customers.view_customer", "customers.view_all_customers", *_READ_CONFIG],
    Role.SUPPORT: [
        "customers.view_customer",
        "customers.impersonate_customer",
        "customers.view_all_customers",
        "customers.view_comment",
        "customers.add_comment",
        "customers.view_document",
        *_READ_CONFIG,
    ],
}

RUN_NOW = {"crm.customers.tasks.sweep_kyc_webhooks_task": "customers.view_kycwebhook"}
