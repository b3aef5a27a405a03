"""Registers the wallets API on the back-office and portal routers."""

from django.urls import URLPattern, URLResolver

from crm.core.api.routers import backoffice, portal
from crm.wallets.api import views_backoffice as bo
from crm.wallets.api import views_portal as po
from crm.wallets.api.summary import ClientSummaryViewSet

backoffice.register("currencies", bo.CurrencyViewSet, basename="currency")
backoffice.register("exchange-rates", bo.ExchangeRateViewSet, basename="exchangerate")
backoffice.register("conversions", bo.CurrencyConversionViewSet, basename="currencyconversion")
backoffice.register("platforms", bo.PlatformViewSet, basename="platform")
backoffice.register("account-groups", bo.AccountGroupViewSet, basename="accountgroup")
backoffice.register("wallets", bo.WalletViewSet, basename="wallet")
backoffice.register("wallet-settings", bo.WalletSettingsViewSet, basename="wallet-settings")
backoffice.register("transactions", bo.TransactionViewSet, basename="transaction")
backoffice.register("journal-entries", bo.JournalEntryViewSet, basename="journalentry")
backoffice.register("client-summaries", ClientSummaryViewSet, basename="client-summary")

portal.register("wallets", po.PortalWalletViewSet, basename="wallet")
portal.register("transactions", po.PortalTransactionViewSet, basename="transaction")
portal.register("transfers", po.PortalTransferViewSet, basename="transfer")
portal.register("exchange-rates", po.PortalExchangeRateViewSet, basename="exchangerate")

urlpatterns: list[URLPattern | URLResolver] = []
