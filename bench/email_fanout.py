"""A message to all of 100,000 clients as templated emails, queued and rendered through the product's path, against
bare rendering of the same template for the same recipients, in the same run. Two lines, one baseline:

`email_fanout` (emails/s, higher is better): queueing, what the staff member waits for. The communications handler of
the `group_message.sent` event (`crm.communications.events.send_template_emails`) with the shipped "Message to many
clients" template enabled: it reads the recipients, renders subject and text per client in their language (the
template parsed and its MJML compiled once per language, that HTML stored once per language as an `EmailBody`, each
email keeping its client's fields to fill it with when it is sent), writes the outbound log (`EmailMessage`, batched
COPY) and queues each email's send for after commit. The per-recipient HTML is not rendered here: that is the
sending worker's job.

`email_fanout_with_html` (emails/s): the same queueing plus, for the same emails in the same round, the HTML fill
the sending worker performs: every queued row read back as the send reads it
(`crm.communications.services.email.outgoing_emails`: plain values, here one query in chunks) and given to
`email_html`, the function `send_email_message` builds the sent HTML with (it fills the row's shared `EmailBody`,
read once per process as the send reads it, with the row's values).
Nothing is sent, and the send's own lock of the row, provider call and status update are not counted. This line is
the like-for-like one: the whole render (subject, text and HTML per recipient, as the baseline renders) plus the
product's storing of the outbound log.

Baseline (both lines): the same recipients read with one query and the same template versions rendered with Jinja2
(subject, HTML and text per recipient), each source parsed and its MJML compiled to HTML once beforehand (aim:
ratio >= 0.5).

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
from crm.communications.services.email import email_html, outgoing_emails  # noqa: E402
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


def product(event: OutboxEvent) -> tuple[float, float, int]:
    """Seconds to queue the fan-out, then seconds to fill every queued email's HTML as its send would; emails."""
    sid = transaction.savepoint()
    started = time.perf_counter()
    send_template_emails(event)
    queued_seconds = time.perf_counter() - started
    started = time.perf_counter()
    filled = 0
    # Read as the send reads them: plain values, each row with its shared body's key, the body read once per process.
    queued = EmailMessage.objects.filter(event=event).order_by("pk")
    for message in outgoing_emails(queued, chunk_size=2000):
        if not email_html(message):
            raise SystemExit(f"email to {message.to_email} has no HTML to send")
        filled += 1
    fill_seconds = time.perf_counter() - started
    transaction.savepoint_rollback(sid)
    return queued_seconds, fill_seconds, filled


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
        queued, with_html, baselines = [], [], []
        for _round in range(ROUNDS):
            seconds, fill_seconds, written = product(event)
            bare_seconds, rendered = bare(event, template)
            if written != CLIENTS or rendered != CLIENTS:
                raise SystemExit(f"expected {CLIENTS} emails, wrote and filled {written} and rendered {rendered}")
            queued.append(written / seconds)
            with_html.append(written / (seconds + fill_seconds))
            baselines.append(rendered / bare_seconds)
            print(
                f"round: {seconds:.2f}s queued + {fill_seconds:.2f}s HTML filled, {bare_seconds:.2f}s bare",
                file=sys.stderr,
            )
        baseline = statistics.median(baselines)
        print(bench_line("email_fanout", statistics.median(queued), baseline, "emails/s"))
        print(bench_line("email_fanout_with_html", statistics.median(with_html), baseline, "emails/s"))
        transaction.set_rollback(True)  # clean up: nothing built here outlives the run
