from django.apps import AppConfig


class AffiliatesConfig(AppConfig):
    name = "crm.affiliates"
    label = "affiliates"
    verbose_name = "Affiliates and IBs"

    def ready(self) -> None:
        from crm.affiliates import events  # noqa: F401 - registers the outbox handlers
