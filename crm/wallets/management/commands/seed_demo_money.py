"""`manage.py seed_demo_money` (run by `seed_demo`): wallets, deposits and withdrawals of the demo clients.

Every movement goes through the wallet services, as the portal and the payment provider would make it: a
personal wallet in the client's currency, card deposits started and confirmed by the sandbox provider (the
verification level's limits and the onboarding steps apply; a client they refuse simply has no deposit), a few
deposits declined or still waiting, and withdrawals above the automatic approval limit waiting for Finance.
The ledger balances because `post_entry` wrote every posting; the client counters (deposit count, first and
last deposit) come from the `deposit.completed` handler, dispatched before the command ends.

Demo only. Running it again adds nothing for clients who have their demo wallet; new clients get theirs.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from crm.core.demo import dispatch_outbox
from crm.core.exceptions import DomainError
from crm.customers.models import Customer
from crm.wallets import services
from crm.wallets.models import Currency, ExchangeRate, Wallet
from crm.wallets.services.gates import limits_for

PROVIDER = "sandbox"
DEPOSIT_METHOD = "Sandbox card"
PAYOUT_METHOD = "Sandbox card payout"
# Chances, per client, of depositing: clients the sales desk marked "Deposited" always do.
DEPOSIT_CHANCE = 0.03
WITHDRAWAL_CHANCE = 0.3
CAPTION = "Demo wallet"
# Quotes the commission run and the reports convert with (each pair one way; the other is its inverse).
RATES = {("EUR", "USD"): Decimal("1.08"), ("GBP", "USD"): Decimal("1.27"), ("GBP", "EUR"): Decimal("1.18")}


class Command(BaseCommand):
    help = "Give demo clients a wallet with deposits and withdrawals waiting for approval (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2024, help="Random seed, for the same demo every time.")

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        counts = {"wallets": 0, "deposits": 0, "declined": 0, "waiting": 0, "withdrawals": 0, "refused": 0}
        currencies = {currency.code: currency for currency in Currency.objects.filter(is_enabled=True)}
        served = set(
            Wallet.objects.filter(caption=CAPTION, customer__isnull=False).values_list("customer_id", flat=True)
        )
        clients = (
            Customer.objects.filter(status=Customer.Status.ACTIVE, currency__in=list(currencies))
            .exclude(pk__in=served)
            .select_related("sales_status", "verification_level")
            .order_by("pk")
        )
        # One transaction: a commit per movement would cost SQLite a disk sync each. The events are dispatched
        # inside it, so the counters are current when it commits (the outbox sees them dispatched already).
        with transaction.atomic():
            self._rates(currencies)
            for customer in clients:
                rng = random.Random(f"{seed}:{customer.email}")  # noqa: S311 - demo data, not secrets
                deposited = customer.sales_status is not None and customer.sales_status.name == "Deposited"
                if deposited or rng.random() < DEPOSIT_CHANCE:
                    self._client(customer, currencies[customer.currency], rng, counts)
            dispatch_outbox()
        self.stdout.write(
            "Money: {wallets} wallets, {deposits} deposits, {declined} declined and {waiting} waiting, "
            "{withdrawals} withdrawals waiting for approval ({refused} refused by the rules).".format(**counts)
        )

    @staticmethod
    def _rates(currencies: dict[str, Currency]) -> None:
        for (source, target), rate in RATES.items():
            if source in currencies and target in currencies:
                quoted = ExchangeRate.objects.filter(from_currency_id=source, to_currency_id=target).exists()
                if not quoted:
                    services.save_exchange_rate(
                        actor=None, from_currency=currencies[source], to_currency=currencies[target], rate=rate
                    )

    def _client(self, customer: Customer, currency: Currency, rng: random.Random, counts: dict[str, int]) -> None:
        wallet = services.create_wallet(customer, currency=currency, actor=None, caption=CAPTION)
        counts["wallets"] += 1
        rank = customer.verification_level.rank if customer.verification_level else 0
        amounts = [Decimal(rng.randrange(100, 900, 50))] if rank == 0 else []
        amounts += [Decimal(rng.randrange(250, 5000, 50)) for _ in range(rng.randint(1, 2) if rank else 0)]
        for number, amount in enumerate(amounts, start=1):
            try:
                txn = services.start_deposit(
                    customer,
                    wallet=wallet,
                    amount=amount,
                    actor=None,
                    method=DEPOSIT_METHOD,
                    provider=PROVIDER,
                    request_key=f"demo-deposit-{number}",
                )
            except (DomainError, ValidationError):
                counts["refused"] += 1
                return
            if number > 1 and rng.random() < 0.1:
                services.fail_deposit(txn, reason="Card declined by the issuer (demo).")
                counts["declined"] += 1
            elif number > 1 and rng.random() < 0.1:
                counts["waiting"] += 1
            else:
                services.confirm_deposit(txn, provider_reference=f"sbx_demo_{txn.pk}")
                counts["deposits"] += 1
        if rank and rng.random() < WITHDRAWAL_CHANCE:
            self._withdrawal(customer, wallet, currency, rng, counts)

    def _withdrawal(
        self, customer: Customer, wallet: Wallet, currency: Currency, rng: random.Random, counts: dict[str, int]
    ) -> None:
        """A withdrawal above the level's automatic approval limit, so Finance has it to review."""
        wallet.refresh_from_db()
        limits = limits_for(customer, currency.code)
        floor = (limits.auto_withdrawal if limits is not None and limits.auto_withdrawal else Decimal(0)) + 50
        ceiling = wallet.balance
        if limits is not None and limits.daily_withdrawal:
            ceiling = min(ceiling, limits.daily_withdrawal)
        if ceiling <= floor:
            return
        amount = Decimal(rng.randrange(int(floor), int(ceiling) + 1, 10) if ceiling - floor >= 10 else int(floor))
        try:
            services.request_withdrawal(
                customer,
                wallet=wallet,
                amount=amount,
                actor=None,
                method=PAYOUT_METHOD,
                provider=PROVIDER,
                request_key="demo-withdrawal-1",
            )
        except (DomainError, ValidationError):
            counts["refused"] += 1
            return
        counts["withdrawals"] += 1
