"""django-unfold: the admin theme, its sidebar (filtered by role) and dashboard."""

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from crm.core.admin_nav import navigation

# https://unfoldadmin.com/docs/configuration/settings/
UNFOLD = {
    "SITE_TITLE": _("Broker Back Office"),
    "SITE_HEADER": _("Back Office"),
    "SITE_SYMBOL": "candlestick_chart",
    "SITE_URL": "/admin/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The language switch in the user menu (crm.users.views.set_language keeps the choice on the staff record).
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "crm.reports.dashboard.dashboard_callback",
    "ENVIRONMENT": "crm.core.admin_nav.environment_callback",
    "STYLES": [lambda request: static("core/admin.css")],
    "SCRIPTS": [lambda request: static("reports/bell.js")],
    "LOGIN": {"redirect_after": lambda request: reverse_lazy("admin:index")},
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": navigation,
    },
}
