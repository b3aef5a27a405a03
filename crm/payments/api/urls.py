"""Registers the payments API on the back-office and portal routers."""

from crm.core.api.routers import backoffice, portal
from crm.payments.api import views

portal.register("payment-methods", views.PortalPaymentMethodViewSet, basename="paymentmethod")
portal.register("deposits", views.PortalDepositViewSet, basename="deposit")
portal.register("withdrawals", views.PortalWithdrawalViewSet, basename="withdrawal")
portal.register("whitelisted-addresses", views.PortalWhitelistedAddressViewSet, basename="whitelistedaddress")

backoffice.register("payment-providers", views.PaymentProviderViewSet, basename="paymentprovider")
backoffice.register("payment-methods", views.PaymentMethodViewSet, basename="paymentmethod")
backoffice.register("payment-method-groups", views.PaymentMethodGroupViewSet, basename="paymentmethodgroup")
backoffice.register("whitelisted-addresses", views.WhitelistedAddressViewSet, basename="whitelistedaddress")
backoffice.register("webhook-events", views.WebhookEventViewSet, basename="webhookevent")

urlpatterns: list = []
