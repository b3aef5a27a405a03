"""Registers the affiliate program's API: the affiliate portal and partner calls, auto-login, the back office."""

from crm.affiliates.api.views import account, backoffice, money, referrals
from crm.affiliates.api.views.autologin import AutologinViewSet
from crm.core.api.routers import affiliate, portal
from crm.core.api.routers import backoffice as backoffice_router

affiliate.register("dashboard", account.DashboardViewSet, basename="dashboard")
affiliate.register("downline", account.DownlineViewSet, basename="downline")
affiliate.register("profile", account.ProfileViewSet, basename="profile")
affiliate.register("keys", account.ApiKeyViewSet, basename="key")
affiliate.register("grey-label", account.GreyLabelViewSet, basename="grey-label")
affiliate.register("target-groups", account.TargetGroupViewSet, basename="target-group")
affiliate.register("banners", account.BannerViewSet, basename="banner")
affiliate.register("landing-pages", account.LandingPageViewSet, basename="landing-page")
affiliate.register("referrals", referrals.ReferralViewSet, basename="referral")
affiliate.register("commissions", money.CommissionRecordViewSet, basename="commission")
affiliate.register("earnings", money.EarningsViewSet, basename="earnings")
affiliate.register("payout-wallets", money.PayoutWalletViewSet, basename="payout-wallet")
affiliate.register("payout-requests", money.PayoutRequestViewSet, basename="payout-request")
affiliate.register("wallets", money.WalletViewSet, basename="wallet")
affiliate.register("wallet-transactions", money.WalletTransactionViewSet, basename="wallet-transaction")

portal.register("autologin", AutologinViewSet, basename="autologin")

backoffice_router.register("affiliates", backoffice.AffiliateViewSet, basename="affiliate")
backoffice_router.register("commission-models", backoffice.CommissionModelViewSet, basename="commission-model")
backoffice_router.register("commission-ledger", backoffice.LedgerViewSet, basename="commission-ledger")
backoffice_router.register(
    "payout-requests", backoffice.BackofficePayoutRequestViewSet, basename="affiliate-payout-request"
)

urlpatterns: list = []
