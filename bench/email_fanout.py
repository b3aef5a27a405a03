"""A message to all of 100,000 clients as templated emails, queued and rendered through the product's path, against
bare rendering of the same template for the same recipients, in the same run.

Value (emails/s, higher is better): the communications handler of the `group_message.sent` event
(`crm.communications.events.send_template_emails`) with the shipped "Message to many clients" template enabled:
it reads the recipients, renders subject and text per client in their language (the template parsed and its MJML
compiled once per language, that HTML stored once per language as an `EmailBody` and filled with each client's
fields, kept on their email, when it is sent), writes the outbound log (`EmailMessage`, batched COPY) and queues
each email's send for after commit (the sends themselves, filling of the HTML included, are a worker's job, not
measured: the run is rolled back).
Baseline: the same recipients read with one query and the same template versions rendered with Jinja2, each
source parsed and its MJML compiled to HTML once beforehand (aim: ratio >= 0.5).

The clients speak en, es and ar in turn. Everything is built in one transaction and rolled back; each round
runs in a savepoint rolled back after it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import mjml  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from jinja2 import StrictUndefined  # noqa: E402
from jinja2.sandbox import SandboxedEnvironment  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.communications.events import send_template_emails  # noqa: E402
from crm.communications.models import EmailMessage, EmailTemplate, Message  # noqa: E402
from crm.communications.services.messages import send_group_message  # noqa: E402
from crm.communications.templating import money  # noqa: E402
from crm.core.models import OutboxEvent  # noqa: E402
from crm.customers.models import Customer  # noqa: E402
from crm.users.models import User  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BATCH = 5000
LANGUAGES = ("en", "es", "ar")


def build() -> tuple[OutboxEvent, EmailTemplate]:
    """CLIENTS clients, the shipped template enabled, and a message to all of them sent by an Admin."""
    for start in range(0, CLIENTS, BATCH):
        Customer.objects.bulk_create(
            Customer(
                first_name=f"First{i}",
                last_name=f"Last{i}",
                email=f"fanout{i}@bench.invalid",
                language=LANGUAGES[i % len(LANGUAGES)],
            )
            for i in range(start, min(start + BATCH, CLIENTS))
        )
    admin = User.objects.create(email="bench-fanout@bench.invalid", is_staff=True, is_superuser=True)
    template = EmailTemplate.objects.get(trigger="group_message.sent")
    template.is_enabled = True
    template.save(update_fields=["is_enabled"])
    send_group_message(audience="all", subject="Markets this week", text="Gold & oil are moving.", actor=admin)
    with connection.cursor() as cursor:  # the planner's statistics of a live database, not of empty tables
        for model in (Customer, Message, EmailMessage):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return OutboxEvent.objects.get(name="group_message.sent"), template


def product(event: OutboxEvent) -> tuple[float, int]:
    sid = transaction.savepoint()
    started = time.perf_counter()
    send_template_emails(event)
    elapsed = time.perf_counter() - started
    written = EmailMessage.objects.filter(event=event).count()
    transaction.savepoint_rollback(sid)
    return elapsed, written


def bare(event: OutboxEvent, template: EmailTemplate) -> tuple[float, int]:
    """The template's versions compiled once (Jinja2 sandbox, MJML to HTML), then each recipient rendered."""
    text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    for env in (text_env, html_env):
        env.filters["money"] = money
    versions = {settings.LANGUAGE_CODE: template, **{v.language: v for v in template.variants.all()}}
    compiled = {
        language: (
            text_env.from_string(source.subject),
            html_env.from_string(str(mjml.mjml2html(source.mjml))),
            text_env.from_string(source.txt),
        )
        for language, source in versions.items()
    }
    shared = {"site_name": settings.SITE_NAME, "portal_url": settings.PORTAL_URL, **event.payload}
    rendered = 0
    started = time.perf_counter()
    rows = Customer.objects.order_by("pk").values_list("first_name", "last_name", "email", "language")
    for first_name, last_name, email, language in rows.iterator(chunk_size=2000):
        subject, html, text = compiled.get(language, compiled[settings.LANGUAGE_CODE])
        customer = {
            "first_name": first_name,
            "last_name": last_name,
            "full_name": f"{first_name} {last_name}",
            "email": email,
            "language": language,
        }
        context = {**shared, "customer": customer}
        subject.render(context), html.render(context), text.render(context)
        rendered += 1
    return time.perf_counter() - started, rendered


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        raise SystemExit("email_fanout measures PostgreSQL: run it through bench/run.py")
    with transaction.atomic():
        started = time.perf_counter()
        event, template = build()
        print(f"built {CLIENTS} clients in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        values, baselines = [], []
        for _round in range(ROUNDS):
            seconds, written = product(event)
            bare_seconds, rendered = bare(event, template)
            if written != CLIENTS or rendered != CLIENTS:
                raise SystemExit(f"expected {CLIENTS} emails, wrote {written} and rendered {rendered}")
            values.append(written / seconds)
            baselines.append(rendered / bare_seconds)
            print(f"round: {seconds:.2f}s product, {bare_seconds:.2f}s bare", file=sys.stderr)
        print(bench_line("email_fanout", statistics.median(values), statistics.median(baselines), "emails/s"))
        transaction.set_rollback(True)  # clean up: nothing built here outlives the run
