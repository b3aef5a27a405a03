"""`manage.py setup_sandbox_payments`: the offline sandbox provider, its methods and common currencies.

For demo and test installs only: the sandbox credits wallets with no real money behind them.
Running it again changes nothing; `--disable` switches the sandbox provider off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.core.management.base import BaseCommand
from django.db import transaction

from crm.core.money import MINOR_UNITS
from crm.payments.adapters import SandboxAdapter, get_adapter
from crm.payments.models import Direction, PaymentMethod, PaymentMethodCurrency, PaymentMethodGroup, PaymentProvider
from crm.wallets.models import Currency

CURRENCIES = {
    "USD": ("US Dollar", 840, "fiat"),
    "EUR": ("Euro", 978, "fiat"),
    "GBP": ("Pound Sterling", 826, "fiat"),
    "BTC": ("Bitcoin", 1000, "crypto"),
    "USDT": ("Tether", 1001, "crypto"),
}
METHODS = [
    # direction, name, group, currencies, needs address, fee percent
    (Direction.DEPOSIT, "Sandbox card", "Cards", ["USD", "EUR", "GBP"], False, Decimal("0")),
    (Direction.DEPOSIT, "Sandbox crypto", "Crypto", ["BTC", "USDT"], False, Decimal("0")),
    (Direction.WITHDRAWAL, "Sandbox card payout", "Cards", ["USD", "EUR", "GBP"], False, Decimal("1")),
    (Direction.WITHDRAWAL, "Sandbox crypto payout", "Crypto", ["BTC", "USDT"], True, Decimal("0.5")),
]


class Command(BaseCommand):
    help = "Create the offline sandbox payment provider with card and crypto methods (demo and test installs only)."

    def add_arguments(self, parser):
        parser.add_argument("--disable", action="store_true", help="Switch the sandbox provider off.")

    @transaction.atomic
    def handle(self, *args, disable: bool, **options):
        if disable:
            PaymentProvider.objects.filter(code="sandbox").update(is_enabled=False)
            self.stdout.write("Sandbox provider disabled.")
            return
        for code, (name, numeric, kind) in CURRENCIES.items():
            Currency.objects.get_or_create(
                code=code,
                defaults={"name": name, "numeric_code": numeric, "kind": kind, "minor_units": MINOR_UNITS[code]},
            )
        provider, _ = PaymentProvider.objects.get_or_create(
            code="sandbox",
            defaults={"name": "Sandbox (offline)", "adapter": "sandbox", "predefined_deposit_amounts": [50, 100, 250]},
        )
        if not provider.is_enabled:
            provider.is_enabled = True
            provider.save(update_fields=["is_enabled", "updated_at"])
        made = 0
        for direction, name, group_name, codes, needs_address, fee in METHODS:
            group, _ = PaymentMethodGroup.objects.get_or_create(
                direction=direction, name=group_name, defaults={"caption": group_name}
            )
            method, created = PaymentMethod.objects.get_or_create(
                provider=provider,
                direction=direction,
                name=name,
                defaults={"needs_address": needs_address, "fee_percent": fee, "time_to_fund": "Instant"},
            )
            method.groups.add(group)
            for code in codes:
                PaymentMethodCurrency.objects.get_or_create(method=method, currency_id=code)
            made += created
        # The webhook signing secret, encrypted in the settings store.
        cast(SandboxAdapter, get_adapter(provider)).secret()
        self.stdout.write(self.style.SUCCESS(f"Sandbox payments ready ({made} new method(s))."))
