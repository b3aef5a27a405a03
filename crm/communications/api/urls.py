"""Registers the communications viewsets on the audience routers (imported by config/urls.py)."""

from crm.communications.api import views
from crm.core.api.routers import backoffice

backoffice.register("email-templates", views.EmailTemplateViewSet, basename="emailtemplate")
backoffice.register("email-messages", views.EmailMessageViewSet, basename="emailmessage")
backoffice.register("email-provider", views.EmailProviderViewSet, basename="emailprovider")

urlpatterns: list[object] = []
