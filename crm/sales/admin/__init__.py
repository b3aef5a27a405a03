"""Sales admin: leads (with the agent dashboard), imports, assignment rules."""

from crm.sales.admin.imports import AssignmentRuleAdmin, LeadImportAdmin
from crm.sales.admin.leads import LeadAdmin

__all__ = ["AssignmentRuleAdmin", "LeadAdmin", "LeadImportAdmin"]
