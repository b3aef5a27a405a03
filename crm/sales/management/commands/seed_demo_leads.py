"""`manage.py seed_demo_leads` (run by `seed_demo`): sales desks and leads for the demo sales staff.

Through the services staff use: two conversion desks managed by the demo sales manager (two agents each) and a
retention desk; leads spread over the desks and agents, some new, some in progress with a sales status and a
logged call, some with a follow-up due now or later, a few not assigned yet. The demo staff come from
`seed_demo` (run it first). Demo only. Running it again adds nothing (desks by name, leads by email).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from faker import Faker

from crm.core.demo import dispatch_outbox
from crm.customers.management.commands import _demo_data as demo
from crm.customers.management.commands.seed_demo import Command as SeedDemo
from crm.customers.management.commands.seed_demo import ascii_slug
from crm.customers.models import SalesStatus
from crm.sales import services
from crm.sales.models import Lead
from crm.users import services as user_services
from crm.users.models import Desk, User

LEAD_DOMAIN = "leads.example.com"
# desk name -> (type, manager, members), staff by their demo login prefix and number
DESKS = [
    ("Conversion A", Desk.Type.CONVERSION, "salesmanager1", ["sales1", "sales2"]),
    ("Conversion B", Desk.Type.CONVERSION, "salesmanager1", ["sales3", "sales4"]),
    ("Retention", Desk.Type.RETENTION, "salesmanager1", ["retention1", "retention2"]),
]
IN_PROGRESS = ["No answer", "Call back", "Interested", "Not interested", "Low potential"]
CALL_NOTES = [
    "Called, asked to call back after work.",
    "Interested in gold and indices; sent the account types.",
    "No answer, left a voicemail.",
    "Wants to see the platform first; demo account suggested.",
]


class Command(BaseCommand):
    help = "Create demo sales desks and leads spread over the desks and agents (demo only; run seed_demo first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=240, help="How many demo leads (default 240).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed, for the same demo every time.")

    def handle(self, *args: Any, leads: int, seed: int, **options: Any) -> None:
        staff = {
            user.email.split("@")[0]: user for user in User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}")
        }
        if "salesmanager1" not in staff:
            raise CommandError("No demo staff: run `manage.py seed_demo` first.")
        statuses = {status.name: status for status in SalesStatus.objects.all()}
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        with transaction.atomic():
            desks = [
                self._desk(name, kind, staff[manager], [staff[member] for member in members], staff)
                for name, kind, manager, members in DESKS
            ]
            conversion = {
                desk: list(desk.members.order_by("pk")) for desk in desks if desk.desk_type == Desk.Type.CONVERSION
            }
            rows = [self._row(i, fake, rng) for i in range(leads)]
            existing = set(
                Lead.objects.filter(email__in=[row["email"] for row in rows]).values_list("email", flat=True)
            )
            made = 0
            for row in rows:
                if row["email"] in existing:
                    continue
                self._lead(row, conversion, statuses, staff, rng)
                made += 1
            dispatch_outbox()
        self.stdout.write(f"Leads: {made} new ({Lead.objects.count()} in all) on {len(desks)} desks.")

    def _desk(self, name: str, kind: str, manager: User, members: list[User], staff: dict[str, User]) -> Desk:
        desk = Desk.objects.filter(name=name).first()
        if desk is not None:
            return desk
        return user_services.create_desk(
            name=name, desk_type=kind, manager=manager, members=members, actor=staff.get("admin1")
        )

    @staticmethod
    def _row(i: int, fake: Faker, rng: random.Random) -> dict[str, Any]:
        country = rng.choices(list(demo.COUNTRIES), weights=demo.COUNTRY_WEIGHTS)[0]
        first, last = fake.first_name(), fake.last_name()
        source, utm_source, utm_medium, _ = rng.choices(demo.SOURCES, weights=[s[3] for s in demo.SOURCES])[0]
        return {
            "first_name": first,
            "last_name": last,
            "email": f"{ascii_slug(first)}.{ascii_slug(last)}{i}@{LEAD_DOMAIN}",
            "phone": SeedDemo._phone(country, rng),
            "country": country,
            "language": demo.COUNTRIES[country][1],
            "source": source,
            "utm_source": utm_source,
            "utm_medium": utm_medium,
        }

    def _lead(
        self,
        row: dict[str, Any],
        desks: dict[Desk, list[User]],
        statuses: dict[str, SalesStatus],
        staff: dict[str, User],
        rng: random.Random,
    ) -> Lead:
        """One lead: new (a tenth unassigned), or in progress with a status and a call; a third with a follow-up."""
        desk = rng.choice(list(desks))
        agent = rng.choice(desks[desk]) if rng.random() > 0.1 else None
        stage = rng.choices(["new", "in_progress"], weights=[45, 55])[0] if agent else "new"
        lead = services.create_lead(
            actor=None, route=False, sales_person=agent, desk=desk, sales_status=statuses.get("New"), **row
        )
        if agent is None:
            return lead
        if stage == "in_progress":
            lead = services.change_lead_status(lead, sales_status=statuses.get(rng.choice(IN_PROGRESS)), actor=agent)
            services.add_lead_comment(lead, body=rng.choice(CALL_NOTES), actor=agent, is_contact=True)
        if rng.random() < 0.35:
            hours = rng.choice([-30, -6, -1, 2, 20, 50])  # negative: due already
            when = timezone.now() + dt.timedelta(hours=hours)
            lead = services.set_follow_up(lead, follow_up_at=when, note="Call back as agreed.", actor=agent)
        return lead
