"""`manage.py setup_demo_trading`: instruments, a trading group, funded accounts and some trades for the demo.

`seed_demo` runs it after the clients and their money (it trades for the first twelve clients). Safe to run
again: instruments and the group are updated in place, accounts are made once, and trades are placed only while
no position exists.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from crm.core.exceptions import DomainError
from crm.customers.models import Customer
from crm.trading import services
from crm.trading.models import GroupTradingSettings, Instrument, Position
from crm.wallets import services as wallet_services
from crm.wallets.models import AccountGroup, Currency, Platform, Wallet

# symbol: category, margin currency, profit currency, digits, contract size, margin/profit calc mode, swaps
INSTRUMENTS: dict[str, tuple[str, str, str, int, str, int, str, str]] = {
    "EURUSD": ("FOREX", "EUR", "USD", 5, "100000", 0, "-7.2", "1.9"),
    "GBPUSD": ("FOREX", "GBP", "USD", 5, "100000", 0, "-5.1", "0.8"),
    "USDJPY": ("FOREX", "USD", "JPY", 3, "100000", 0, "9.6", "-21.4"),
    "XAUUSD": ("METALS", "XAU", "USD", 2, "100", 2, "-38.5", "12.1"),
    "US500": ("INDICES", "USD", "USD", 1, "1", 2, "-4.0", "-1.5"),
    "BTCUSD": ("CRYPTO", "BTC", "USD", 2, "1", 2, "-20", "-20"),
}
ACCOUNTS = 12


class Command(BaseCommand):
    help = "Create demo instruments, a trading group, funded trading accounts and open and closed positions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        instruments = [self._instrument(symbol, *values) for symbol, values in INSTRUMENTS.items()]
        group = self._group()
        accounts = self._accounts(group)
        call_command("run_price_feed", ticks=3, interval=0, seed=seed, stdout=self.stdout, stderr=self.stderr)
        if accounts and not Position.objects.exists():
            self._trade(accounts, instruments, random.Random(seed))  # noqa: S311 - demo data
        self.stdout.write(
            f"Trading: {len(instruments)} instruments, {len(accounts)} accounts, "
            f"{Position.objects.open().count()} open and {Position.objects.exclude(status='open').count()} "
            "closed positions."
        )

    def _instrument(
        self,
        symbol: str,
        category: str,
        base: str,
        quote: str,
        digits: int,
        size: str,
        mode: int,
        long: str,
        short: str,
    ) -> Instrument:
        instrument, _ = Instrument.objects.update_or_create(
            symbol=symbol,
            defaults={
                "category": category,
                "margin_currency": base,
                "profit_currency": quote,
                "digits": digits,
                "contract_size": Decimal(size),
                "tick_size": Decimal(1).scaleb(-digits),
                "margin_calc_mode": mode if mode == 0 else 4,
                "profit_calc_mode": mode,
                "swap_long": Decimal(long),
                "swap_short": Decimal(short),
                "max_lot": Decimal(50),
                "sort_order": list(INSTRUMENTS).index(symbol),
            },
        )
        return instrument

    def _group(self) -> AccountGroup:
        usd, _ = Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
        platform, _ = Platform.objects.get_or_create(
            name="Built-in", defaults={"caption": "Built-in trading platform", "type": Platform.Type.OTHER}
        )
        group, _ = AccountGroup.objects.get_or_create(
            name="Trading USD",
            defaults={"platform": platform, "currency": usd, "leverages": [50, 100, 200], "default_leverage": 100},
        )
        GroupTradingSettings.objects.get_or_create(
            group=group, defaults={"commission_per_lot": Decimal("3.50"), "markup_points": 2}
        )
        return group

    def _accounts(self, group: AccountGroup) -> list[Wallet]:
        customers = Customer.objects.order_by("pk")[:ACCOUNTS]
        accounts = []
        for customer in customers:
            account, created = Wallet.objects.get_or_create(
                customer=customer,
                group=group,
                defaults={
                    "number": f"T{customer.pk:09d}",
                    "currency_id": group.currency_id,
                    "type": Wallet.Type.TRADE,
                    "platform": group.platform,
                    "leverage": 100,
                },
            )
            if created:
                wallet_services.post_entry(
                    idempotency_key=f"demo-trading:fund:{account.pk}",
                    postings=[
                        (account, Decimal("10000.00")),
                        (wallet_services.system_account("adjustments", group.currency_id), Decimal("-10000.00")),
                    ],
                    kind="CORRECTION",
                    description="Demo trading account funding",
                )
            accounts.append(account)
        return accounts

    def _trade(self, accounts: list[Wallet], instruments: list[Instrument], rng: random.Random) -> None:
        volume = {"FOREX": ["0.10", "0.20", "0.50"], "METALS": ["0.05", "0.10"], "INDICES": ["1", "2"],
                  "CRYPTO": ["0.05", "0.10"]}  # fmt: skip
        opened: list[Position] = []
        for account in accounts:
            for instrument in rng.sample(instruments, 3):
                lots = Decimal(rng.choice(volume[instrument.category]))
                try:
                    order = services.place_order(
                        account, instrument=instrument, side=rng.choice(["buy", "sell"]), lots=lots
                    )
                except DomainError:
                    continue
                if order.position is not None:  # a market order that filled opens a position
                    opened.append(order.position)
        call_command("run_price_feed", ticks=30, interval=0, seed=rng.randint(1, 10**6), stdout=self.stdout)
        for position in opened[::3]:
            services.close_position(position, if_open=True)
        for account in accounts:
            services.refresh_account(account)
