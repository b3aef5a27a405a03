"""Writes on leads: callers use `from crm.sales import services` and `services.<function>`."""

from crm.sales.phones import normalize_phone
from crm.sales.services.conversion import convert_lead, convert_registered_customer, find_lead_for
from crm.sales.services.duplicates import Keys, find_duplicate, normalize_email
from crm.sales.services.leads import (
    ASSIGNMENT_FIELDS,
    EDITABLE_FIELDS,
    add_lead_comment,
    assign_lead,
    bulk_edit_leads,
    change_lead_status,
    check_may_assign,
    claim_lead,
    clean_contact,
    create_lead,
    log_lead_call,
    send_lead_email,
    set_follow_up,
    update_lead,
)
from crm.sales.services.merge import merge_leads
from crm.sales.services.routing import active_rules, route_leads

__all__ = [
    "ASSIGNMENT_FIELDS",
    "EDITABLE_FIELDS",
    "Keys",
    "active_rules",
    "add_lead_comment",
    "assign_lead",
    "bulk_edit_leads",
    "change_lead_status",
    "check_may_assign",
    "claim_lead",
    "clean_contact",
    "convert_lead",
    "convert_registered_customer",
    "create_lead",
    "find_duplicate",
    "find_lead_for",
    "log_lead_call",
    "merge_leads",
    "normalize_email",
    "normalize_phone",
    "route_leads",
    "send_lead_email",
    "set_follow_up",
    "update_lead",
]
