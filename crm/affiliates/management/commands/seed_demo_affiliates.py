"""`manage.py seed_demo_affiliates` (run twice by `seed_demo`): the affiliate program of the demo.

Through the program's services: two commission plans (a default CPA plan with a second-level revenue share, and
a revenue-share plan with a lot rebate), the demo introducers enrolled as affiliates looked after by the demo
affiliate manager (a few still pending approval), two referral links each, and their referred clients
attributed to them. With `--commissions` (after the demo's deposits and trades) the commission run computes the
commissions of their referrals' first deposits, deposits and closed positions, left pending for approval.

Demo only; `seed_demo` runs it first, then with `--commissions` after `seed_demo_money` and
`setup_demo_trading`. Running it again adds nothing that is there (plans by name, one profile per client,
links by name, one attribution per client, each action counted once).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from crm.affiliates import services
from crm.affiliates.models import Affiliate, CommissionModel, CommissionRule, ReferralLink
from crm.affiliates.services_plans import save_commission_model
from crm.core.demo import dispatch_outbox
from crm.customers.management.commands import _demo_data as demo
from crm.customers.models import Customer
from crm.users.models import User
from crm.wallets.models import Currency

Kind = CommissionRule.Kind
DEFAULT_PLAN = "Standard CPA"
SHARE_PLAN = "Revenue share"
PENDING_EVERY = 12  # every twelfth introducer still waits for the affiliate manager's approval
LINKS = [
    ("Home page", "", "", ""),
    ("Gold campaign", "gold", "newsletter", "email"),
]


class Command(BaseCommand):
    help = "Create the demo affiliate program (plans, affiliates, links, referrals); --commissions calculates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--commissions", action="store_true", help="Run the commission calculation (after the demo's money)."
        )

    def handle(self, *args: Any, commissions: bool, **options: Any) -> None:
        if commissions:
            result = services.run_commissions()
            dispatch_outbox()
            self.stdout.write(
                f"Affiliate commissions: {result.created} calculated from {result.actions} referral actions."
            )
            return
        manager = User.objects.filter(email=f"affiliates1@{demo.DEMO_DOMAIN}").first()
        with transaction.atomic():
            plans = self._plans(manager)
            affiliates = self._affiliates(plans, manager)
            links = sum(self._links(affiliate, manager) for affiliate in affiliates)
            referrals = self._referrals(manager)
            dispatch_outbox()
        self.stdout.write(
            f"Affiliates: {len(plans)} plans, {len(affiliates)} affiliates, {links} new links, "
            f"{referrals} new referrals."
        )

    def _plans(self, actor: User | None) -> list[CommissionModel]:
        usd = Currency.objects.filter(code="USD").first()
        wanted = [
            (
                DEFAULT_PLAN,
                True,
                [
                    {
                        "level": 1,
                        "name": "Direct",
                        "rules": [{"kind": Kind.CPA, "amount": Decimal(150), "currency": usd, "min_deposit": 100}],
                    },
                    {"level": 2, "name": "Sub-IB", "rules": [{"kind": Kind.REVENUE_SHARE, "percent": Decimal(5)}]},
                ],
            ),
            (
                SHARE_PLAN,
                False,
                [
                    {
                        "level": 1,
                        "name": "Direct",
                        "rules": [
                            {"kind": Kind.REVENUE_SHARE, "percent": Decimal(25)},
                            {"kind": Kind.LOT_REBATE, "amount": Decimal(5), "currency": usd},
                        ],
                    }
                ],
            ),
        ]
        plans = []
        for name, is_default, levels in wanted:
            plan = CommissionModel.objects.filter(name=name).first()
            if plan is None:
                has_default = CommissionModel.objects.filter(is_default=True).exists()
                plan = save_commission_model(
                    None, levels=levels, actor=actor, name=name, is_default=is_default and not has_default
                )
            plans.append(plan)
        return plans

    def _affiliates(self, plans: list[CommissionModel], manager: User | None) -> list[Affiliate]:
        """Every demo client holding the `affiliate` role (the introducers) as an affiliate, masters first."""
        introducers = Customer.objects.filter(roles__name="affiliate").order_by("introducer_id", "pk").distinct()
        affiliates = []
        for number, customer in enumerate(introducers):
            pending = number % PENDING_EVERY == PENDING_EVERY - 1
            affiliate = services.enroll_affiliate(
                customer,
                actor=manager,
                commission_model=plans[number % len(plans)],
                status=Affiliate.Status.PENDING if pending else Affiliate.Status.ACTIVE,
                manager=manager,
            )
            affiliates.append(affiliate)
        return affiliates

    def _links(self, affiliate: Affiliate, manager: User | None) -> int:
        names = set(ReferralLink.objects.filter(affiliate=affiliate).values_list("name", flat=True))
        made = 0
        for name, campaign, source, medium in LINKS:
            if name in names:
                continue
            link = ReferralLink(
                affiliate=affiliate,
                name=name,
                target_url=f"{settings.PORTAL_URL.rstrip('/')}/register",
                utm_source=source,
                utm_medium=medium,
                utm_campaign=campaign,
            )
            link.full_clean()
            link.save()
            made += 1
        return made

    def _referrals(self, manager: User | None) -> int:
        """Attribute the clients the demo gave an introducer to that introducer's affiliate profile."""
        referred = (
            Customer.objects.filter(introducer__affiliate__isnull=False, affiliate_attribution__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return sum(services.attribute_customer(pk, actor=manager) is not None for pk in referred)
