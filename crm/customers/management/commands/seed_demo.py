"""`manage.py seed_demo`: a realistic demo (staff of every role, thousands of clients) that leaves every role work.

This command makes the staff, reference data, clients, KYC documents, comments and onboarding rules; then it
runs, by name, the other apps' demo commands, which go through their own services: desks and leads
(`seed_demo_leads`), the affiliate program (`seed_demo_affiliates`), wallets with deposits and withdrawals
waiting (`seed_demo_money`), trades (`setup_demo_trading`) and the commissions they earn. `--clients-only`
stops after the clients.

For demos and development only: every staff login shares one published password. Running it
again adds nothing that is already there (rows are matched by email or name); `--clients`
higher than before adds the missing clients, the same ones each time (Faker is seeded).
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from crm.core.models import Activity
from crm.core.roles import Role, sync_role_permissions
from crm.customers.management.commands import _demo_data as demo
from crm.customers.models import (
    ClientGroup,
    ClientRole,
    ClientType,
    Comment,
    Country,
    Customer,
    CustomerFieldConfiguration,
    Document,
    OnboardingStage,
    OnboardingStep,
    OnboardingStepConfiguration,
    SalesStatus,
    VerificationLevel,
    VerificationLimit,
)
from crm.customers.services import configure_step, update_field_configurations
from crm.users.models import User

INTRODUCER_EVERY = 40
# Clients the sales desk marks "Deposited"; seed_demo_money makes their deposits through the wallet services.
FTD_SHARE = 0.12
BATCH = 500


@dataclass
class Reference:
    """The rows clients point at."""

    types: dict[str, ClientType]
    levels: list[VerificationLevel]
    statuses: dict[str, SalesStatus]
    groups: list[ClientGroup]
    roles: dict[str, ClientRole]
    staff: dict[str, list[User]] = field(default_factory=dict)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", plain) or "client"


class Command(BaseCommand):
    help = "Fill the database with a realistic demo (staff of every role, clients, documents). Demo only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clients", type=int, default=3000, help="How many demo clients (default 3000).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed, for the same demo every time.")
        parser.add_argument(
            "--clients-only",
            action="store_true",
            help="Staff, reference data and clients only; no leads, money, affiliates or trades.",
        )

    def handle(self, *args: Any, clients: int, seed: int, clients_only: bool, **options: Any) -> None:
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or demo.DEMO_PASSWORD
        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        with transaction.atomic():
            sync_role_permissions()  # the role groups get their permissions even if apps migrated out of order
            staff, admin_password_ok = self._staff(password, seed)
            reference = self._reference()
            reference.staff = staff
            new_rows = self._clients(clients, reference, rng, seed)
            new_clients = [row["customer"] for row in new_rows]
            documents = self._documents(new_clients, reference, rng)
            comments = self._comments(new_rows, reference, rng)
            activities = self._activities(new_clients)
            self._onboarding(staff[Role.ADMIN.value][0])
        # Thousands of in-process task runs would each log a line between the steps' summaries.
        task_log = logging.getLogger("celery.app.trace")
        level = task_log.level
        task_log.setLevel(logging.WARNING)
        # The demo clients' emails (confirmations, deposits, withdrawals) are kept in memory, not printed by the
        # console backend: hundreds of them would bury the admin login; the outbound email log records each one.
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                for name, arguments in [] if clients_only else self._steps(seed, clients):
                    if name in get_commands():
                        call_command(name, *arguments, stdout=self.stdout, stderr=self.stderr)
        finally:
            task_log.setLevel(level)
        self._report(len(new_clients), documents, comments, activities, password, admin_password_ok)

    @staticmethod
    def _steps(seed: int, clients: int) -> list[tuple[str, list[str]]]:
        """The other apps' demo commands, in the order their data builds on each other (each safe to run again).

        Named, not imported: the apps above customers bring their own part of the demo through their services.
        """
        return [
            ("setup_periodic_tasks", []),
            ("setup_sandbox_payments", []),
            ("seed_demo_leads", [f"--seed={seed}", f"--leads={max(20, clients // 12)}"]),
            ("seed_demo_affiliates", []),
            ("seed_demo_money", [f"--seed={seed}"]),
            ("setup_demo_trading", [f"--seed={seed}"]),
            ("seed_demo_affiliates", ["--commissions"]),
        ]

    # Staff -----------------------------------------------------------------------------

    def _staff(self, password: str, seed: int) -> tuple[dict[str, list[User]], bool]:
        """Demo staff of every role and the demo superuser; existing ones are kept as they are."""
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        hashed = make_password(password)  # once: hashing per user would take seconds
        wanted: list[tuple[str, Role | None]] = [(demo.DEMO_ADMIN_EMAIL, None)]
        for role, prefix, count in demo.STAFF:
            wanted += [(f"{prefix}{n}@{demo.DEMO_DOMAIN}", role) for n in range(1, count + 1)]
        existing = set(User.objects.filter(email__in=[email for email, _ in wanted]).values_list("email", flat=True))
        User.objects.bulk_create(
            User(
                email=email,
                first_name="Demo" if role is None else fake.first_name(),
                last_name="Admin" if role is None else fake.last_name(),
                password=hashed,
                is_staff=True,
                is_superuser=role is None,
            )
            for email, role in wanted
            if email not in existing
        )
        users = {user.email: user for user in User.objects.filter(email__in=[email for email, _ in wanted])}
        groups = {role.value: Group.objects.get_or_create(name=role.value)[0] for role in Role}
        memberships = [
            User.groups.through(user_id=users[email].pk, group_id=groups[role.value].pk)
            for email, role in wanted
            if role is not None
        ]
        User.groups.through.objects.bulk_create(memberships, ignore_conflicts=True)
        staff: dict[str, list[User]] = {role.value: [] for role in Role}
        for email, member_role in wanted:
            if member_role is not None:
                staff[member_role.value].append(users[email])
        admin = users[demo.DEMO_ADMIN_EMAIL]
        admin_password_ok = demo.DEMO_ADMIN_EMAIL not in existing or admin.check_password(password)
        return staff, admin_password_ok

    # Reference data ----------------------------------------------------------------------

    def _reference(self) -> Reference:
        has_default_type = ClientType.objects.filter(is_default=True).exists()
        types = {}
        for name, group in demo.CLIENT_TYPES:
            is_default = name == "Individual" and not has_default_type
            types[name] = ClientType.objects.get_or_create(
                name=name, defaults={"group": group, "is_default": is_default}
            )[0]
        statuses = {
            name: SalesStatus.objects.get_or_create(name=name, defaults={"color": color, "sort_order": order})[0]
            for order, (name, color) in enumerate(demo.SALES_STATUSES)
        }
        groups = [ClientGroup.objects.get_or_create(name=name)[0] for name in demo.CLIENT_GROUPS]
        roles = {name: ClientRole.objects.get_or_create(name=name)[0] for name in ("trader", "affiliate")}
        known = set(Country.objects.values_list("code", flat=True))
        Country.objects.bulk_create(
            Country(code=code, is_enabled=enabled)
            for code, (_, _, _, enabled) in demo.COUNTRIES.items()
            if code not in known
        )
        return Reference(types=types, levels=self._levels(), statuses=statuses, groups=groups, roles=roles)

    def _levels(self) -> list[VerificationLevel]:
        """Level 0 (default) -> Level 1 -> Level 2, each with per-currency limits."""
        has_default = VerificationLevel.objects.filter(is_default=True).exists()
        levels = []
        for name, rank, description, operations, documents, limits in demo.VERIFICATION_LEVELS:
            level, created = VerificationLevel.objects.get_or_create(
                name=name,
                defaults={
                    "rank": rank,
                    "description": description,
                    "allowed_operations": operations,
                    "required_document_groups": documents,
                    "is_default": rank == 0 and not has_default,
                },
            )
            if created:
                VerificationLimit.objects.bulk_create(
                    VerificationLimit(level=level, currency=currency, **demo.limit_values(values))
                    for currency, values in limits.items()
                )
            levels.append(level)
        for level, following in itertools.pairwise(levels):
            if level.next_level_id is None:
                level.next_level = following
                level.save(update_fields=["next_level", "updated_at"])
        return levels

    @staticmethod
    def _onboarding(actor: User) -> None:
        """The onboarding rules of the demo, unless staff set some: a confirmed email before the first deposit,
        approved KYC before a withdrawal, names, phone and country on the real-account sign-up form."""
        # The migrations list every step and field with no stage and nothing required: that is "not configured".
        configured = OnboardingStepConfiguration.objects.filter(stage__isnull=False).exists()
        if configured or CustomerFieldConfiguration.objects.filter(required=True).exists():
            return
        configure_step(OnboardingStep.EMAIL_CONFIRMATION, stage=OnboardingStage.BEFORE_DEPOSIT, actor=actor)
        configure_step(OnboardingStep.KYC, stage=OnboardingStage.BEFORE_WITHDRAWAL, actor=actor)
        update_field_configurations(
            [
                {"field": name, "step": OnboardingStep.SIGNUP_REAL_FORM, "required": True}
                for name in ("first_name", "last_name", "phone", "country")
            ],
            actor=actor,
        )

    # Clients -------------------------------------------------------------------------------

    def _clients(self, count: int, ref: Reference, rng: random.Random, seed: int) -> list[dict[str, Any]]:
        """Build `count` clients deterministically; insert the ones whose email is not there yet."""
        codes = list(demo.COUNTRIES)
        fake = Faker(sorted({locale for locale, *_ in demo.COUNTRIES.values()}))
        fake.seed_instance(seed)
        now = timezone.now()
        rows = [self._client_row(i, rng, fake, codes, now, ref) for i in range(count)]
        email_at = {row["index"]: row["customer"].email for row in rows}
        existing = set(Customer.objects.filter(email__in=email_at.values()).values_list("email", flat=True))
        rows = [row for row in rows if row["customer"].email not in existing]

        Customer.objects.bulk_create([row["customer"] for row in rows if row["is_introducer"]], batch_size=BATCH)
        introducers = dict(
            Customer.objects.filter(email__in=[email_at[i] for i in range(0, count, INTRODUCER_EVERY)]).values_list(
                "email", "pk"
            )
        )
        others = [row for row in rows if not row["is_introducer"]]
        for row in others:
            if row["introducer_index"] is not None:
                row["customer"].introducer_id = introducers.get(email_at[row["introducer_index"]])
        Customer.objects.bulk_create([row["customer"] for row in others], batch_size=BATCH)

        role_links, group_links = [], []
        for row in rows:
            pk = row["customer"].pk
            role_links.append(Customer.roles.through(customer_id=pk, clientrole_id=ref.roles["trader"].pk))
            if row["is_introducer"]:
                role_links.append(Customer.roles.through(customer_id=pk, clientrole_id=ref.roles["affiliate"].pk))
            group_links += [Customer.groups.through(customer_id=pk, clientgroup_id=g.pk) for g in row["groups"]]
        Customer.roles.through.objects.bulk_create(role_links, batch_size=BATCH, ignore_conflicts=True)
        Customer.groups.through.objects.bulk_create(group_links, batch_size=BATCH, ignore_conflicts=True)
        return rows

    def _client_row(
        self, i: int, rng: random.Random, fake: Faker, codes: list[str], now, ref: Reference
    ) -> dict[str, Any]:
        country = rng.choices(codes, weights=demo.COUNTRY_WEIGHTS)[0]
        locale, language, currency, _ = demo.COUNTRIES[country]
        person = fake[locale]
        first, last = person.first_name(), person.last_name()
        domain = rng.choice(["example.com", "example.net", "example.org"])
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{i}@{domain}"
        registered = now - timedelta(days=rng.uniform(0, 540))
        has_ftd = rng.random() < FTD_SHARE
        kyc = self._kyc_status(rng, has_ftd)
        source, utm_source, utm_medium, _ = rng.choices(demo.SOURCES, weights=[s[3] for s in demo.SOURCES])[0]
        is_introducer = i % INTRODUCER_EVERY == 0
        introducer_index = None
        if not is_introducer and source in {"Affiliate", "Referral"} and i >= INTRODUCER_EVERY:
            introducer_index = rng.randrange(0, i // INTRODUCER_EVERY + 1) * INTRODUCER_EVERY
        sales = ref.staff[Role.SALES_AGENT.value] + ref.staff[Role.SALES_MANAGER.value]
        is_vip = has_ftd and rng.randint(1, 15) > 10  # the deposits themselves are made by seed_demo_money
        last_seen = registered + (now - registered) * rng.random()
        comment_count = rng.choices([0, 1, 2, 3], weights=[45, 30, 15, 10])[0]
        level = ref.levels[0]
        if kyc == Customer.KycStatus.APPROVED:
            level = ref.levels[2] if rng.random() < 0.4 else ref.levels[1]
        groups = rng.sample(ref.groups, rng.randint(1, 2)) if rng.random() < 0.1 else []
        if is_vip:
            groups = [ref.groups[0], *[g for g in groups if g != ref.groups[0]]]
        compliance = ref.staff[Role.COMPLIANCE.value][0]
        reviewed = kyc in {Customer.KycStatus.APPROVED, Customer.KycStatus.REJECTED, Customer.KycStatus.REVOKED}
        customer = Customer(
            first_name=first[:150],
            last_name=last[:150],
            email=email,
            phone=self._phone(country, rng),
            country=country,
            language=language,
            date_of_birth=person.date_of_birth(minimum_age=18, maximum_age=75),
            address_line1=person.street_address()[:255].replace("\n", ", "),
            city=person.city()[:100],
            postal_code=person.postcode()[:20],
            currency=currency,
            status=rng.choices(list(Customer.Status.values), weights=[88, 8, 3, 1])[0],
            client_type=ref.types["Corporate"] if rng.random() < 0.08 else ref.types["Individual"],
            kyc_status=kyc,
            kyc_reviewed_by=compliance if reviewed else None,
            kyc_reviewed_at=registered + timedelta(days=rng.uniform(1, 10)) if reviewed else None,
            verification_level=level,
            risk_status=rng.choices(list(Customer.RiskStatus.values), weights=[70, 20, 7, 3])[0],
            source=source,
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=rng.choice(demo.CAMPAIGNS) if utm_source else "",
            utm_term=rng.choice(["forex", "trading app", "gold price", "bitcoin cfd"]) if utm_medium == "cpc" else "",
            external_id=f"EXT-{100000 + i}" if source in {"Affiliate", "Import"} else "",
            conversion_agent=rng.choice(sales) if rng.random() < 0.9 else None,
            retention_agent=rng.choice(ref.staff[Role.RETENTION_AGENT.value])
            if has_ftd and rng.random() < 0.8
            else None,
            sales_status=self._sales_status(rng, ref, has_ftd),
            registered_at=registered,
            confirmed_at=registered + timedelta(minutes=rng.randint(1, 600)) if rng.random() < 0.8 else None,
            last_login_at=last_seen,
            last_activity_at=last_seen,
            last_contact_at=last_seen - timedelta(hours=rng.randint(0, 72)) if comment_count else None,
            last_comment_at=last_seen if comment_count else None,
        )
        return {
            "index": i,
            "customer": customer,
            "is_introducer": is_introducer,
            "introducer_index": introducer_index,
            "groups": groups,
            "comments": comment_count,
        }

    @staticmethod
    def _kyc_status(rng: random.Random, has_ftd: bool) -> str:
        statuses = list(Customer.KycStatus.values)  # not started, pending, approved, rejected, revoked
        weights = [5, 20, 65, 5, 5] if has_ftd else [55, 25, 15, 4, 1]
        return rng.choices(statuses, weights=weights)[0]

    @staticmethod
    def _sales_status(rng: random.Random, ref: Reference, has_ftd: bool) -> SalesStatus | None:
        if has_ftd:
            return ref.statuses["Deposited"] if rng.random() < 0.85 else ref.statuses["Interested"]
        names = [name for name, _ in demo.SALES_STATUSES if name != "Deposited"]
        return ref.statuses[rng.choice(names)] if rng.random() < 0.95 else None

    @staticmethod
    def _phone(country: str, rng: random.Random) -> str:
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            return ""
        national = str(example.national_number)
        keep = max(len(national) - 5, 1)
        digits = national[:keep] + "".join(str(rng.randint(0, 9)) for _ in range(len(national) - keep))
        return f"+{example.country_code}{digits}"

    # Documents, comments, activity -------------------------------------------------------

    def _documents(self, customers: list[Customer], ref: Reference, rng: random.Random) -> int:
        """KYC documents for clients who started KYC, with real (tiny) PDF and PNG files in private storage."""
        storage = Document._meta.get_field("file").storage  # the private storage, whatever backs it
        pdfs = {kind: demo.demo_pdf(f"{label} - demo document") for kind, label in Document.Type.choices}
        png = demo.demo_png()
        compliance = ref.staff[Role.COMPLIANCE.value][0]
        documents = []
        for customer in customers:
            if customer.kyc_status == Customer.KycStatus.NOT_STARTED:
                continue
            kinds = [rng.choice([Document.Type.PASSPORT, Document.Type.ID_CARD])]  # what Level 1 takes
            current = customer.verification_level
            if rng.random() < 0.5 or (current is not None and current.rank >= 2):
                kinds.append(Document.Type.PROOF_OF_ADDRESS)
            if rng.random() < 0.3:
                kinds.append(Document.Type.SELFIE)
            for kind in kinds:
                as_png = kind == Document.Type.SELFIE or rng.random() < 0.3
                content, suffix, content_type = (
                    (png, ".png", "image/png") if as_png else (pdfs[kind], ".pdf", "application/pdf")
                )
                name = storage.save(f"kyc/{customer.pk}/{uuid.uuid4().hex}{suffix}", ContentFile(content))
                status, reason = self._document_status(customer, rng)
                documents.append(
                    Document(
                        customer=customer,
                        document_type=kind,
                        file=name,
                        original_name=f"{kind}{suffix}",
                        content_type=content_type,
                        size=len(content),
                        status=status,
                        rejection_reason=reason,
                        uploaded_by=None,
                        reviewed_by=compliance if status != Document.Status.NEW else None,
                        reviewed_at=customer.kyc_reviewed_at if status != Document.Status.NEW else None,
                    )
                )
        Document.objects.bulk_create(documents, batch_size=BATCH)
        return len(documents)

    @staticmethod
    def _document_status(customer: Customer, rng: random.Random) -> tuple[str, str]:
        if customer.kyc_status in {Customer.KycStatus.APPROVED, Customer.KycStatus.REVOKED}:
            return Document.Status.APPROVED, ""
        if customer.kyc_status == Customer.KycStatus.REJECTED:
            return Document.Status.REJECTED, rng.choice(demo.REJECTION_REASONS)
        return Document.Status.NEW, ""

    def _comments(self, rows: list[dict[str, Any]], ref: Reference, rng: random.Random) -> int:
        support = ref.staff[Role.SUPPORT.value]
        comments = [
            Comment(
                customer=row["customer"],
                author=row["customer"].conversion_agent or row["customer"].retention_agent or rng.choice(support),
                body=rng.choice(demo.COMMENTS),
            )
            for row in rows
            for _ in range(row["comments"])
        ]
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        return len(comments)

    def _activities(self, customers: list[Customer]) -> int:
        """A few log rows per client, as the services would have written them."""
        customer_type = ContentType.objects.get_for_model(Customer)
        rows = []
        for customer in customers:
            target = {"target_type": customer_type, "target_id": str(customer.pk), "target_repr": str(customer)[:255]}
            creator = customer.conversion_agent
            rows.append(
                Activity(
                    actor=creator,
                    actor_repr=str(creator) if creator else "seed_demo",
                    channel="admin" if creator else "seed_demo",
                    action="customer.created",
                    **target,
                )
            )
            if customer.kyc_status == Customer.KycStatus.APPROVED:
                reviewer = customer.kyc_reviewed_by
                rows.append(
                    Activity(
                        actor=reviewer,
                        actor_repr=str(reviewer),
                        channel="admin",
                        action="kyc.approved",
                        changes={"kyc_status": ["pending", "approved"]},
                        **target,
                    )
                )
        Activity.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    # Output -------------------------------------------------------------------------------

    def _report(
        self, clients: int, documents: int, comments: int, activities: int, password: str, admin_password_ok: bool
    ) -> None:
        total = Customer.objects.count()
        self.stdout.write(
            f"Demo data ready: {total} clients ({clients} new, {documents} documents, {comments} comments, "
            f"{activities} activity rows added)."
        )
        shown = password if admin_password_ok else "(unchanged: this user existed with another password)"
        lines = [
            "",
            "Admin login (FOR THE DEMO ONLY: change or delete it before real use):",
            f"  URL:      {settings.SITE_URL.rstrip('/')}/admin/",
            f"  email:    {demo.DEMO_ADMIN_EMAIL}",
            f"  password: {shown}",
            "Staff of every role share the demo password, e.g. "
            + ", ".join(f"{prefix}1@{demo.DEMO_DOMAIN}" for _, prefix, _ in demo.STAFF),
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
