from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "crm.trading"
    label = "trading"
    verbose_name = "Trading"
