"""Public communications endpoints: the providers' webhooks (email delivery, VoIP call events)."""

from django.urls import URLPattern, path

from crm.communications import views

app_name = "communications"

urlpatterns: list[URLPattern] = [
    path("webhooks/email/<slug:provider>/", views.email_webhook, name="email-webhook"),
    path("webhooks/voip/<slug:provider>/", views.voip_webhook, name="voip-webhook"),
]
