from django.urls import path

from crm.payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider>/", views.provider_webhook, name="webhook"),
    path("payments/sandbox/<str:reference>/", views.sandbox_checkout, name="sandbox-checkout"),
]
