"""Seed 001 back-office paths, exactly as the seed gives them (mounted at /back-api/backoffice/)."""

from django.urls import path, re_path

from crm.trading.compat.backoffice import accounts, settings, transfers

app_name = "trading-backapi"

PROFILE = r"v2/commission-profiles/(?P<profile_id>[^/]+)/rules"

urlpatterns = [
    path("transfers/deposit", transfers.DepositView.as_view(), name="transfer-deposit"),
    path("transfers/withdrawal", transfers.WithdrawalView.as_view(), name="transfer-withdrawal"),
    path("transfers/withdrawal-confirm", transfers.WithdrawalConfirmView.as_view(), name="withdrawal-confirm"),
    path("transfers/withdrawal-cancel", transfers.WithdrawalCancelView.as_view(), name="withdrawal-cancel"),
    path("transfers/accounts/<str:account_id>", transfers.AccountTransfersView.as_view(), name="account-transfers"),
    path("transfers/<str:transfer_id>", transfers.TransferView.as_view(), name="transfer"),
    path("v2/assets/list", settings.AssetListView.as_view(), name="assets-list"),
    path("v2/internal-assets", settings.InternalAssetCreateView.as_view(), name="internal-assets"),
    path("v2/internal-assets/<str:asset_id>", settings.InternalAssetUpdateView.as_view(), name="internal-asset"),
    re_path(rf"^{PROFILE}$", settings.RulesView.as_view(), name="commission-rules"),
    re_path(rf"^{PROFILE}/priorities$", settings.RulePrioritiesView.as_view(), name="commission-rule-priorities"),
    re_path(rf"^{PROFILE}/(?P<rule_id>[^/]+)$", settings.RuleView.as_view(), name="commission-rule"),
    re_path(
        rf"^{PROFILE}/(?P<rule_id>[^/]+)/validate-update$",
        settings.RuleValidateUpdateView.as_view(),
        name="commission-rule-validate-update",
    ),
    re_path(
        rf"^{PROFILE}/(?P<rule_id>[^/]+)/validate-delete$",
        settings.RuleValidateDeleteView.as_view(),
        name="commission-rule-validate-delete",
    ),
    path("v2/users/<str:user_id>/accounts", accounts.UserAccountsCreateView.as_view(), name="user-accounts"),
    path("v2/users/<str:user_id>/accounts/<str:account_id>", accounts.UserAccountView.as_view(), name="user-account"),
    path("v2/markets", settings.MarketsView.as_view(), name="markets"),
    path("v2/markets-categories", settings.MarketCategoriesView.as_view(), name="markets-categories"),
]
