from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def install_default_templates_on_migrate(sender: AppConfig, **kwargs: Any) -> None:
    """A database with no email template at all (new, or emptied by a test's flush) gets the shipped ones."""
    from crm.communications.services.email import install_default_templates

    install_default_templates(using=kwargs.get("using", "default"))


class CommunicationsConfig(AppConfig):
    name = "crm.communications"
    label = "communications"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(install_default_templates_on_migrate, sender=self, dispatch_uid="communications.defaults")
