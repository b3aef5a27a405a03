"""Registers the clients API: back office (clients, onboarding configuration, providers) and the client portal."""

from crm.core.api.routers import backoffice, portal
from crm.customers.api.onboarding import (
    CustomerFieldConfigurationViewSet,
    OnboardingStepConfigurationViewSet,
    ProviderSettingsViewSet,
)
from crm.customers.api.portal.account import PortalAccountViewSet, PortalOnboardingViewSet
from crm.customers.api.portal.auth import PortalAuthViewSet
from crm.customers.api.portal.config import PortalConfigViewSet
from crm.customers.api.portal.kyc import PortalDocumentViewSet, PortalKycViewSet
from crm.customers.api.portal.security import PortalDeviceViewSet, PortalLoginRecordViewSet, PortalTwoFactorViewSet
from crm.customers.api.sales_statuses import SalesStatusViewSet
from crm.customers.api.views import CustomerViewSet

backoffice.register("customers", CustomerViewSet, basename="customer")
backoffice.register("onboarding-steps", OnboardingStepConfigurationViewSet, basename="onboarding-step")
backoffice.register(
    "customer-field-configurations", CustomerFieldConfigurationViewSet, basename="customer-field-configuration"
)
backoffice.register("provider-settings", ProviderSettingsViewSet, basename="provider-settings")

portal.register("auth", PortalAuthViewSet, basename="auth")
portal.register("account", PortalAccountViewSet, basename="account")
portal.register("onboarding", PortalOnboardingViewSet, basename="onboarding")
portal.register("kyc", PortalKycViewSet, basename="kyc")
portal.register("documents", PortalDocumentViewSet, basename="document")
portal.register("security/login-records", PortalLoginRecordViewSet, basename="login-record")
portal.register("security/devices", PortalDeviceViewSet, basename="device")
portal.register("security/two-factor", PortalTwoFactorViewSet, basename="two-factor")
portal.register("config", PortalConfigViewSet, basename="config")


backoffice.register("sales-statuses", SalesStatusViewSet, basename="sales-status")

urlpatterns: list = []
