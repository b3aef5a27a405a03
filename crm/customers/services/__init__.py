"""Writes on clients: every one checks its rules, logs the activity and emits its event in one transaction.

Callers use `from crm.customers import services` and `services.<function>`; the modules split the
functions by sub-domain only.
"""

from crm.customers.services.clients import (
    EDITABLE_FIELDS,
    RELATION_LISTS,
    EmailTaken,
    assign_agents,
    bulk_update_customers,
    change_status,
    create_customer,
    normalize_email,
    set_sales_status,
    update_customer,
)
from crm.customers.services.kyc import (
    DOCUMENT_SIGNATURES,
    MAX_DOCUMENT_SIZE,
    approve_kyc,
    level_earned,
    reset_kyc,
    review_document,
    revoke_kyc,
    upload_document,
    validate_document_file,
)
from crm.customers.services.notes import add_comment, bookmark_customer, remove_bookmark
from crm.customers.services.sales_statuses import create_sales_status, update_sales_status

__all__ = [
    "DOCUMENT_SIGNATURES",
    "EDITABLE_FIELDS",
    "MAX_DOCUMENT_SIZE",
    "RELATION_LISTS",
    "EmailTaken",
    "add_comment",
    "approve_kyc",
    "assign_agents",
    "bookmark_customer",
    "bulk_update_customers",
    "change_status",
    "create_customer",
    "create_sales_status",
    "level_earned",
    "normalize_email",
    "remove_bookmark",
    "reset_kyc",
    "review_document",
    "revoke_kyc",
    "set_sales_status",
    "update_customer",
    "update_sales_status",
    "upload_document",
    "validate_document_file",
]
