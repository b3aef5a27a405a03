"""Public sales URLs, mounted under /api/public/."""

from django.urls import path

from crm.sales.api.public import check_signup_code

app_name = "sales-public"

urlpatterns = [path("leads/signup-code/", check_signup_code, name="check-signup-code")]
