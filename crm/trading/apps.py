from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradingConfig(AppConfig):
    name = "crm.trading"
    label = "trading"
    verbose_name = _("Trading")

    def ready(self) -> None:
        from crm.trading import events  # noqa: F401 - registers the outbox handlers
