from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "crm.wallets"
    label = "wallets"
    verbose_name = "Wallets and ledger"
