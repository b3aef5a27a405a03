from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "crm.payments"
    label = "payments"
    verbose_name = "Payments"
