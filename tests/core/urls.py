from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from tests.core import exportapp

urlpatterns = [
    path("exporttest-admin/", exportapp.site.urls),
    path("api/exporttest/", include((exportapp.router.urls, "exporttestapi"))),
    *project_urlpatterns,
]
