from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"
    verbose_name = "System"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crm.core import events, roles

        events.autodiscover_handlers()
        post_migrate.connect(roles.sync_role_permissions_on_migrate, dispatch_uid="core.sync_roles")
