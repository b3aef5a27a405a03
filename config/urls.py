from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from crm.core.api import routers
from crm.core.api.views import health
from crm.users.views import set_language

# Importing an app's api.urls registers its viewsets on the audience routers.
API_URL_MODULES = [
    "crm.core.api.urls",
    "crm.users.api.urls",
    "crm.customers.api.urls",
    "crm.sales.api.urls",
    "crm.wallets.api.urls",
    "crm.payments.api.urls",
    "crm.affiliates.api.urls",
    "crm.trading.api.urls",
    "crm.communications.api.urls",
    "crm.reports.api.urls",
]
for module in API_URL_MODULES:
    __import__(module)

api_v1 = [
    path("backoffice/", include((routers.backoffice.urls, "backoffice"))),
    path("portal/", include((routers.portal.urls, "portal"))),
    path("affiliate/", include((routers.affiliate.urls, "affiliate"))),
]

urlpatterns = [
    # The admin's language switch (unfold's menu posts here): remembered on the staff member's record.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/public/", include("crm.sales.api.public_urls")),
    # Seed 003's partner endpoints, paths fixed by the seed: /api/public/buckets/..., /tradersroom/api/auth/signup
    path("", include("crm.affiliates.compat.urls")),
    # Seed 001's trader API at its own paths: /frontoffice/api/..., /marketdata/api/..., /notification/api/v1/...
    path("", include("crm.trading.compat.urls")),
    # Seed 001's back-office settings at its own paths: /back-api/backoffice/v2/...
    path("back-api/backoffice/", include("crm.trading.compat.backoffice.urls")),
    # Seed 001's history server at its own paths: /api/orders, /api/commissions/..., /api/history/orders/...
    path("", include("crm.reports.history.urls")),
    path("api/health/", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Named webhooks (/webhooks/sumsub/) before the payment providers' /webhooks/<provider>/.
    path("", include("crm.customers.urls")),
    path("", include("crm.payments.urls")),
    path("", include("crm.core.urls")),
    path("", include("crm.communications.urls")),
    path("", include("crm.reports.urls")),
]

handler400 = "crm.core.api.views.bad_request"
handler500 = "crm.core.api.views.server_error"

if settings.DEBUG:
    from django.views.generic import RedirectView

    urlpatterns.append(path("", RedirectView.as_view(url="/admin/", permanent=False)))
