"""Clients admin, split by page: clients, documents and comments, configuration tables."""

from crm.customers.admin.config import (
    ClientGroupAdmin,
    ClientRoleAdmin,
    ClientTypeAdmin,
    CountryAdmin,
    SalesStatusAdmin,
    VerificationLevelAdmin,
)
from crm.customers.admin.customers import CustomerAdmin
from crm.customers.admin.documents import CommentAdmin, DocumentAdmin
from crm.customers.admin.onboarding import (
    CustomerFieldConfigurationAdmin,
    KycWebhookAdmin,
    OnboardingStepConfigurationAdmin,
)

__all__ = [
    "ClientGroupAdmin",
    "ClientRoleAdmin",
    "ClientTypeAdmin",
    "CommentAdmin",
    "CountryAdmin",
    "CustomerAdmin",
    "CustomerFieldConfigurationAdmin",
    "DocumentAdmin",
    "KycWebhookAdmin",
    "OnboardingStepConfigurationAdmin",
    "SalesStatusAdmin",
    "VerificationLevelAdmin",
]
