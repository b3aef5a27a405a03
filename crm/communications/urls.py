"""Public communications endpoints: the providers' webhooks (email delivery, VoIP call events)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
