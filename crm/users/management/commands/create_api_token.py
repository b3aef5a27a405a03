"""manage.py create_api_token --name "BI" --role "Sales Manager" [--expires 2027-01-01] [--allow-ip 10.0.0.0/8]"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crm.core.exceptions import DomainError
from crm.core.roles import Role
from crm.users import services


def parse_expiry(value: str) -> dt.datetime:
    """A date (start of that day in the site's time zone) or an ISO date-time (naive means the site's zone)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--expires: {value!r} is not a date (YYYY-MM-DD) or an ISO date-time.")
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Generate an API token for a role and print its key, which is shown only this once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'BI export'.")
        parser.add_argument("--role", required=True, choices=Role.values, help="The role the token acts with.")
        parser.add_argument("--expires", help="Expiry date (YYYY-MM-DD) or date-time; default: never.")
        parser.add_argument(
            "--allow-ip",
            action="extend",
            nargs="+",
            default=[],
            dest="allowed_ips",
            metavar="IP_OR_CIDR",
            help="Addresses or networks the token works from; default: any.",
        )

    def handle(self, *args, **options) -> None:
        role = Group.objects.filter(name=options["role"]).first()
        if role is None:
            raise CommandError(f"The role group {options['role']!r} does not exist: run migrate first.")
        expires_at = parse_expiry(options["expires"]) if options["expires"] else None
        try:
            token, raw_key = services.create_api_token(
                name=options["name"], role=role, expires_at=expires_at, allowed_ips=options["allowed_ips"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        allowed = ", ".join(token.allowed_ips) or "any address"
        self.stderr.write(
            f'API token "{token.name}" created: role {role.name}, expires {expiry}, allowed from {allowed}.\n'
            "Copy the key below now: it is shown only this once."
        )
        self.stdout.write(raw_key)
