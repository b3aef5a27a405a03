from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "crm.trading"
    label = "trading"
    verbose_name = "Trading"

    def ready(self) -> None:
        from crm.trading import events  # noqa: F401 - registers the outbox handlers
