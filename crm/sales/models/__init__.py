"""Sales models: leads and their work, assignment rules, imports."""

from crm.sales.models.imports import LeadImport
from crm.sales.models.leads import (
    AssignmentRule,
    Lead,
    LeadComment,
    LeadCommunication,
    LeadQuerySet,
    new_signup_code,
)
from crm.sales.models.rejections import LeadImportRejection

__all__ = [
    "AssignmentRule",
    "Lead",
    "LeadComment",
    "LeadCommunication",
    "LeadImport",
    "LeadImportRejection",
    "LeadQuerySet",
    "new_signup_code",
]
