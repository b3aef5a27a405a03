from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliatesConfig(AppConfig):
    name = "crm.affiliates"
    label = "affiliates"
    verbose_name = _("Affiliates and IBs")

    def ready(self) -> None:
        from crm.affiliates import events  # noqa: F401 - registers the outbox handlers
