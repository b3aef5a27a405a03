"""What each staff role may do with leads."""

from crm.core.roles import Role

_WORK_OWN_LEADS = [
    "sales.view_lead",
    "sales.add_lead",
    "sales.change_lead",
    "sales.claim_lead",
    "sales.send_lead_email",
    "sales.view_leadcomment",
    "sales.add_leadcomment",
    "sales.view_leadcommunication",
]

GRANTS = {
    Role.SALES_AGENT: _WORK_OWN_LEADS,
    Role.RETENTION_AGENT: _WORK_OWN_LEADS,
    Role.SALES_MANAGER: [
        *_WORK_OWN_LEADS,
        "sales.view_all_leads",
        "sales.assign_lead",
        "sales.bulk_edit_leads",
        "sales.merge_leads",
        "sales.import_leads",
        "sales.export_lead",
        "sales.view_leadimport",
        "sales.add_leadimport",
        "sales.view_assignmentrule",
        "sales.add_assignmentrule",
        "sales.change_assignmentrule",
        "sales.delete_assignmentrule",
    ],
    Role.AFFILIATE_MANAGER: ["sales.view_lead", "sales.view_all_leads"],
    Role.SUPPORT: ["sales.view_lead", "sales.view_all_leads", "sales.view_leadcomment"],
}

RUN_NOW = {"crm.sales.tasks.sweep_imports_task": "sales.import_leads"}
