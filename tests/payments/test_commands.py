import pytest
from django.core.management import call_command

from crm.core.models import Setting
from crm.payments.models import PaymentMethod, PaymentProvider
from crm.wallets.models import Currency

pytestmark = pytest.mark.django_db


def test_setup_sandbox_payments_twice_makes_things_once():
    call_command("setup_sandbox_payments")
    call_command("setup_sandbox_payments")

    assert PaymentProvider.objects.get().is_enabled is True
    assert PaymentMethod.objects.count() == 4
    assert Currency.objects.get(code="BTC").minor_units == 8
    assert Setting.objects.get(key="payments.sandbox.webhook_secret").is_secret is True


def test_setup_sandbox_payments_disable():
    call_command("setup_sandbox_payments")

    call_command("setup_sandbox_payments", "--disable")

    assert PaymentProvider.objects.get().is_enabled is False
