from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"
    verbose_name = _("System")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crm.core import events, i18n, roles
        from crm.core.admin_changelist import (
            default_list_sections,
            share_admin_inclusions,
            share_dropdown_renders,
            share_filter_renders,
            share_label_renders,
            share_result_headers,
            share_row_cells,
            share_row_html,
            share_row_links,
        )
        from crm.core.admin_chrome import (
            keep_page_includes,
            keep_static_urls,
            keep_unfold_settings,
            share_action_select,
            share_component_renders,
        )
        from crm.core.admin_nav import lazy_app_list, quick_sidebar_checks

        events.autodiscover_handlers()
        i18n.translate_automatic_labels()
        share_result_headers()
        share_label_renders()
        share_row_links()
        share_row_cells()
        share_row_html()
        default_list_sections()
        share_dropdown_renders()
        share_filter_renders()
        share_admin_inclusions()
        share_component_renders()
        share_action_select()
        keep_page_includes()
        keep_static_urls()
        keep_unfold_settings()
        lazy_app_list()
        quick_sidebar_checks()
        post_migrate.connect(roles.sync_role_permissions_on_migrate, dispatch_uid="core.sync_roles")
