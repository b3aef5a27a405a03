"""`manage.py verify_ledger`: check every ledger invariant; exit 1 and list the breaches when one fails."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crm.wallets.selectors import ledger_breaches


class Command(BaseCommand):
    help = (
        "Check the ledger: entries balance per currency, cached balances equal their postings, "
        "running balances agree, no wallet below zero unless allowed. Exits non-zero on a breach."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="Show at most this many breaches.")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        count = 0
        for breach in ledger_breaches():
            count += 1
            if count <= limit:
                self.stderr.write(f"BREACH {breach.rule}: {breach.detail}")
        if count:
            raise CommandError(f"The ledger has {count} breach(es).")
        self.stdout.write(self.style.SUCCESS("The ledger is sound."))
