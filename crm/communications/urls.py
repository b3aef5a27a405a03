"""Public communications endpoints: the providers' webhooks (email delivery, VoIP call events)."""

from django.urls import URLPattern, path

from crm.communications import views

urlpatterns: list[URLPattern] = [
    path("webhooks/email/<slug:provider>/", views.email_webhook, name="email-webhook"),
]
