"""Email templates and sending: one email per (event, template, recipient), retried on transient errors."""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any, NamedTuple

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.communications import providers, templating
from crm.communications.models import (
    EmailBody,
    EmailMessage,
    EmailOptOut,
    EmailTemplate,
    EmailTemplateVariant,
    Message,
)
from crm.communications.triggers import CUSTOMER_VARIABLES, Trigger, get_trigger
from crm.communications.work import EMAILS
from crm.core import work
from crm.core.exceptions import DomainError
from crm.core.i18n import language_or_default
from crm.core.imports.insert import insert_rows
from crm.core.models import OutboxEvent
from crm.core.services import record_activity
from crm.core.typing import PermissionHolder
from crm.customers.models import Customer

logger = logging.getLogger(__name__)

TEMPLATE_FIELDS = ("title", "trigger", "conditions", "recipient", "category", "is_enabled", "subject", "mjml", "txt")
VARIANT_FIELDS = ("language", "subject", "mjml", "txt")
FANOUT_BATCH = 2000


class EmailTransientError(Exception):
    """The provider could not take the email now (network, 5xx, rate limit): the send is tried again later."""


# Templates -------------------------------------------------------------------------------------


def _check_sources(trigger: Trigger, data: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for name in ("subject", "mjml", "txt"):
        found = templating.check_template(str(data.get(name) or ""), trigger.variables)
        if name == "mjml" and not found:
            found = templating.check_mjml(str(data.get(name) or ""))
        if found:
            problems[f"{prefix}{name}"] = found
    return problems


def _check_conditions(trigger: Trigger, conditions: Any) -> list[str]:
    if not isinstance(conditions, dict):
        return [_("Give an object of event fields and values.")]
    unknown = sorted(set(conditions) - set(trigger.payload))
    if unknown:
        return [_("These are not fields of the event: %(names)s.") % {"names": ", ".join(unknown)}]
    return []


def validate_template(data: Mapping[str, Any], variants: Sequence[Mapping[str, Any]]) -> None:
    """Refuse (DomainError with field errors) an unknown trigger, conditions on fields the event does not
    carry, a source that does not parse, uses variables the trigger does not offer, or MJML that does not
    compile, and two variants in one language."""
    trigger = get_trigger(str(data.get("trigger", "")))
    if trigger is None:
        raise DomainError(
            _("Unknown trigger."), code="invalid", fields={"trigger": [_("Pick an event of the catalogue.")]}
        )
    problems = _check_sources(trigger, data)
    if found := _check_conditions(trigger, data.get("conditions", {})):
        problems["conditions"] = found
    if data.get("recipient") == EmailTemplate.Recipient.CUSTOMER and not trigger.about_customer:
        problems["recipient"] = [_("This event is not about a client: send it to staff.")]
    if data.get("recipient") == EmailTemplate.Recipient.ADDRESSEE and not trigger.address:
        problems["recipient"] = [_("This event names no one to send it to: send it to the client or staff.")]
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        language = str(variant.get("language", ""))
        if language in seen or language == settings.LANGUAGE_CODE:
            problems[f"variants.{index}.language"] = [_("One variant per language, other than the default one.")]
        seen.add(language)
        problems.update(_check_sources(trigger, variant, prefix=f"variants.{index}."))
    if problems:
        raise DomainError(_("The template has errors."), code="invalid_template", fields=problems)


@transaction.atomic
def save_email_template(
    template: EmailTemplate | None,
    *,
    actor: PermissionHolder | None,
    variants: Sequence[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> EmailTemplate:
    """Create or change a template (and replace its language variants when given), after validating it all."""
    creating = template is None
    template = template or EmailTemplate()
    for name, new in fields.items():
        if name in TEMPLATE_FIELDS:
            setattr(template, name, new)
    current = (
        [{name: getattr(variant, name) for name in VARIANT_FIELDS} for variant in template.variants.all()]
        if template.pk
        else []
    )
    validate_template(
        {name: getattr(template, name) for name in TEMPLATE_FIELDS}, variants if variants is not None else current
    )
    template.save()
    if variants is not None:
        template.variants.all().delete()
        EmailTemplateVariant.objects.bulk_create(
            EmailTemplateVariant(template=template, **{name: variant.get(name, "") for name in VARIANT_FIELDS})
            for variant in variants
        )
    record_activity(
        actor=actor,
        action="email_template.created" if creating else "email_template.changed",
        target=template,
        data={"trigger": template.trigger, "fields": sorted(fields)},
    )
    return template


def variant_problems(trigger: Trigger, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The field errors of one language variant against its template's trigger (admin inline forms)."""
    return [(name, problem) for name, found in _check_sources(trigger, data).items() for problem in found]


def record_template_saved(template: EmailTemplate, *, actor: PermissionHolder | None, created: bool) -> None:
    """The activity-log entry of a template saved in the admin (validated there by `validate_template`)."""
    record_activity(
        actor=actor,
        action="email_template.created" if created else "email_template.changed",
        target=template,
        data={"trigger": template.trigger},
    )


def install_default_templates(*, using: str = "default") -> int:
    """Create the shipped templates (crm/communications/defaults.py) when there is no template at all; returns
    how many were created. Staff's own templates are never touched."""
    from django.db import connections

    from crm.communications.defaults import default_templates

    tables = connections[using].introspection.table_names()
    if not {EmailTemplate._meta.db_table, EmailTemplateVariant._meta.db_table} <= set(tables):
        return 0  # migrated back to before the email tables
    if EmailTemplate.objects.using(using).exists():
        return 0
    created = 0
    with transaction.atomic(using=using):
        for data in default_templates():
            variants = data.pop("variants")
            template = EmailTemplate.objects.using(using).create(**data)
            EmailTemplateVariant.objects.using(using).bulk_create(
                EmailTemplateVariant(template=template, **variant) for variant in variants
            )
            created += 1
    return created


@transaction.atomic
def delete_email_template(template: EmailTemplate, *, actor: PermissionHolder | None) -> None:
    """Delete a template; the emails it sent stay in the log."""
    record_activity(actor=actor, action="email_template.deleted", target=template, data={"title": template.title})
    template.delete()


# Rendering -------------------------------------------------------------------------------------


def _customer_fields(first_name: str, last_name: str, email: str, language: str) -> dict[str, str]:
    return {
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),
        "email": email,
        "language": language,
    }


def _customer_context(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    fields = _customer_fields(customer.first_name, customer.last_name, customer.email, customer.language)
    return {"customer": fields}


def context_for(payload: Mapping[str, Any], customer: Customer | None) -> dict[str, Any]:
    """What a template sees: the event's fields, the product's name and portal, and the client's fields."""
    return {
        "site_name": settings.SITE_NAME,
        "portal_url": settings.PORTAL_URL,
        **payload,
        **_customer_context(customer),
    }


def sample_context(trigger: Trigger) -> dict[str, Any]:
    """Made-up values for a preview or a test email: each field shows its own name."""
    context: dict[str, Any] = {name: f"[{name}]" for name in trigger.payload}
    context.update(site_name=settings.SITE_NAME, portal_url=settings.PORTAL_URL)
    if trigger.about_customer:
        context["customer"] = {name.split(".", 1)[1]: f"[{name}]" for name in CUSTOMER_VARIABLES}
    return context


def version_for(template: EmailTemplate, language: str) -> tuple[str, EmailTemplate | EmailTemplateVariant]:
    """The variant in `language` when the template has one, else the template itself (the default language)."""
    for variant in template.variants.all():
        if variant.language == language:
            return language, variant
    return settings.LANGUAGE_CODE, template


def render(source: EmailTemplate | EmailTemplateVariant, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Subject, HTML and text of one version; TemplateProblem when a value is missing or the MJML is broken."""
    subject = " ".join(templating.render_text(source.subject, context).split())
    return subject, templating.render_html(source.mjml, context), templating.render_text(source.txt, context)


def preview_email_template(template: EmailTemplate, *, language: str | None = None) -> dict[str, str]:
    """The template rendered with sample values, in `language` (falling back to the default language)."""
    trigger = get_trigger(template.trigger)
    if trigger is None:
        raise DomainError(_("Unknown trigger."), code="invalid_template")
    used, source = version_for(template, language_or_default(language))
    try:
        subject, html, text = render(source, sample_context(trigger))
    except templating.TemplateProblem as exc:
        raise DomainError(str(exc), code="invalid_template") from exc
    return {"language": used, "subject": subject, "html": html, "text": text}


# Queueing --------------------------------------------------------------------------------------


def conditions_hold(conditions: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """Every condition holds: the field equals the value, or is one of the values when a list is given."""
    for name, expected in conditions.items():
        actual = payload.get(name)
        if isinstance(expected, list):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True


def _recipient(
    template: EmailTemplate, customer: Customer | None, trigger: Trigger, payload: Mapping[str, Any]
) -> tuple[str, str] | None:
    """The address and language of the template's recipient for this event, or None when there is none."""
    if template.recipient == EmailTemplate.Recipient.ADDRESSEE:
        address = str(payload.get(trigger.address) or "") if trigger.address else ""
        return (address, language_or_default(payload.get("language"))) if address else None
    if template.recipient == EmailTemplate.Recipient.STAFF:
        staff = providers.staff_email()
        return (staff, settings.LANGUAGE_CODE) if staff else None
    if customer is None or not customer.email:
        return None
    return customer.email, language_or_default(customer.language)


def _queue_one(
    event: OutboxEvent | None,
    template: EmailTemplate,
    trigger: Trigger,
    customer: Customer | None,
    *,
    opted_out: bool,
) -> EmailMessage | None:
    payload = event.payload if event is not None else {}
    recipient = _recipient(template, customer, trigger, payload)
    if recipient is None:
        return None
    to_email, wanted = recipient
    language, source = version_for(template, wanted)
    message = EmailMessage(
        event=event,
        template=template,
        customer=customer if template.recipient == EmailTemplate.Recipient.CUSTOMER else None,
        trigger=trigger.name,
        to_email=to_email,
        reply_to=str(payload.get("reply_to") or "") if "reply_to" in trigger.payload else "",
        language=language,
        category=template.category,
        next_attempt_at=work.first_due(EMAILS),
    )
    try:
        message.subject, message.html, message.text = render(source, context_for(payload, customer))
    except templating.TemplateProblem as exc:
        message.subject = template.subject[:255]
        message.status, message.last_error, message.status_at = EmailMessage.Status.FAILED, str(exc), timezone.now()
    marketing = template.category == EmailTemplate.Category.MARKETING
    if message.status == EmailMessage.Status.QUEUED and opted_out and marketing and message.customer is not None:
        message.status, message.status_at = EmailMessage.Status.OPTED_OUT, timezone.now()
    message.subject = message.subject[:255]
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None  # this event already queued this email to this recipient
    if message.status == EmailMessage.Status.QUEUED:
        work.enqueue(EMAILS, message.pk)
    return message


def _fanout_recipients(event: OutboxEvent) -> QuerySet[Customer]:
    """The clients an event about many clients names: each gets the email."""
    if event.name == "group_message.sent":
        inboxes = Message.objects.filter(group_message_id=event.payload.get("group_message_id"))
        return Customer.objects.filter(pk__in=inboxes.values("customer_id"))
    return Customer.objects.none()


_FANOUT_FIELDS = (
    "event_id",
    "template_id",
    "customer_id",
    "trigger",
    "to_email",
    "language",
    "category",
    "subject",
    "html",
    "text",
    "shared_body_id",
    "body_values",
    "status",
    "status_at",
    "last_error",
    "next_attempt_at",
)


def _send_all(pks: list[int]) -> None:
    for pk in pks:
        work.send(EMAILS, pk)


class _FanoutVersion:
    """One language's version of a template as a fan-out renders it: the subject rendered once when it reads no
    client field, and the HTML body stored once (`EmailBody`, once an email fills it without a problem) when its
    MJML compiles before it is filled; otherwise each email's HTML is rendered whole."""

    def __init__(
        self,
        template: EmailTemplate,
        language: str,
        source: EmailTemplate | EmailTemplateVariant,
        shared: dict[str, Any],
    ) -> None:
        self.template, self.language, self.source, self.shared = template, language, source, shared
        self.subject: str | None = None
        if not templating.reads(source.subject, "customer"):
            try:
                self.subject = " ".join(templating.render_text(source.subject, shared).split())
            except templating.TemplateProblem:
                self.subject = None  # rendered (and its problem recorded) with each email
        self.compiled = templating.compiled_html(source.mjml)
        self.body: EmailBody | None = None

    def store_body(self, own: dict[str, Any]) -> None:
        """Store the shared body, if there is to be one and it is not stored yet, once this recipient's values fill
        it (when they do not, the next recipient's are tried)."""
        if self.body is not None or self.compiled is None:
            return
        try:
            templating.fill_html(self.compiled, {**self.shared, **own})
        except templating.TemplateProblem:
            return
        self.body = EmailBody.objects.create(
            template=self.template, language=self.language, html=self.compiled, values=self.shared
        )

    def render(self, own: dict[str, Any]) -> tuple[str, str, str, EmailBody | None]:
        """Subject, HTML, text and shared body of one email, `own` being its recipient's values; TemplateProblem
        when a value is missing. With a shared body the HTML is empty: the body filled with `own` is the email's.
        Uses no database."""
        context = {**self.shared, **own}
        source = self.source
        if self.subject is None:
            subject = " ".join(templating.render_text(source.subject, context).split())
        else:
            subject = self.subject
        text = templating.render_text(source.txt, context)
        if self.body is not None:
            return subject, "", text, self.body
        return subject, templating.render_html(source.mjml, context), text, None


def _queue_fanout(event: OutboxEvent, template: EmailTemplate, trigger: Trigger) -> int:
    """Queue one template's email to each client of an event about many clients; returns how many were written.

    Each version of the template (one per language) is parsed and its MJML compiled once
    (crm.communications.templating), its HTML stored once (`EmailBody`) with each email keeping its client's fields;
    subject and text are each email's own. The recipients are read in batches, and each batch's emails rendered
    into the COPY of the outbound log as it is written (plain rows, no model objects). Clients already sent this
    email for this event are skipped, so a second run writes nothing more."""
    recipients = _fanout_recipients(event).exclude(email="")
    seen = set(EmailMessage.objects.filter(event=event, template=template).values_list("to_email", flat=True))
    marketing = template.category == EmailTemplate.Category.MARKETING
    opted_out = (
        set(EmailOptOut.objects.filter(customer__in=recipients).values_list("customer_id", flat=True))
        if marketing
        else set()
    )
    versions: dict[str, _FanoutVersion] = {}
    shared = context_for(event.payload, None)
    due, now = work.first_due(EMAILS), timezone.now()
    queued, failed, opted = EmailMessage.Status.QUEUED, EmailMessage.Status.FAILED, EmailMessage.Status.OPTED_OUT

    def emails(
        batch: list[tuple[int, str, _FanoutVersion, dict[str, Any]]], statuses: list[str]
    ) -> Iterator[tuple[Any, ...]]:
        for pk, to_email, version, own in batch:
            try:
                subject, html, text, body = version.render(own)
                status, status_at, error = (opted, now, "") if pk in opted_out else (queued, None, "")
            except templating.TemplateProblem as exc:
                subject, html, text, body = template.subject, "", "", None
                status, status_at, error = failed, now, str(exc)
            statuses.append(status)
            yield (
                event.pk,
                template.pk,
                pk,
                trigger.name,
                to_email,
                version.language,
                template.category,
                subject[:255],
                html,
                text,
                body.pk if body is not None else None,
                own if body is not None else {},
                status,
                status_at,
                error,
                due,
            )

    found = recipients.order_by("pk").values_list("pk", "first_name", "last_name", "email", "language")
    rows = found.iterator(chunk_size=FANOUT_BATCH)
    written = 0
    while chunk := list(islice(rows, FANOUT_BATCH)):  # read before the COPY: it holds the connection
        batch = []
        for pk, first_name, last_name, to_email, customer_language in chunk:
            if to_email in seen:
                continue
            seen.add(to_email)
            version = versions.get(customer_language)
            if version is None:
                language, source = version_for(template, language_or_default(customer_language))
                version = versions[customer_language] = _FanoutVersion(template, language, source, shared)
            own = {"customer": _customer_fields(first_name, last_name, to_email, customer_language)}
            version.store_body(own)
            batch.append((pk, to_email, version, own))
        statuses: list[str] = []
        pks = insert_rows(EmailMessage, _FANOUT_FIELDS, emails(batch, statuses), count=len(batch))
        transaction.on_commit(partial(_send_all, [pk for pk, s in zip(pks, statuses, strict=True) if s == queued]))
        written += len(batch)
    return written


def queue_event_emails(event: OutboxEvent) -> list[EmailMessage]:
    """Queue the emails of every enabled template on the event whose conditions hold; running it again for the
    same event queues nothing more. A single-use link in the event is removed from it afterwards.

    For an event about many clients (a message to all of them) the emails are written in bulk and not returned."""
    trigger = get_trigger(event.name)
    if trigger is None:
        return []
    if trigger.fans_out:
        for template in EmailTemplate.objects.enabled_for(event.name):
            if not conditions_hold(template.conditions, event.payload):
                continue
            if template.recipient == EmailTemplate.Recipient.STAFF:
                _queue_one(event, template, trigger, None, opted_out=False)
            else:
                _queue_fanout(event, template, trigger)
        return []
    customer_id = event.payload.get("customer_id") if trigger.about_customer else None
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    opted_out = customer is not None and EmailOptOut.objects.filter(customer=customer).exists()
    queued = []
    for template in EmailTemplate.objects.enabled_for(event.name):
        if not conditions_hold(template.conditions, event.payload):
            continue
        message = _queue_one(event, template, trigger, customer, opted_out=opted_out)
        if message is not None:
            queued.append(message)
    if trigger.secrets:
        scrubbed = {name: ("" if name in trigger.secrets else item) for name, item in event.payload.items()}
        OutboxEvent.objects.filter(pk=event.pk).update(payload=scrubbed)
    return queued


@transaction.atomic
def send_test_email(
    template: EmailTemplate, *, to_email: str, language: str | None = None, actor: PermissionHolder | None
) -> EmailMessage:
    """Queue the template rendered with sample values to `to_email` (marked as a test in the log)."""
    preview = preview_email_template(template, language=language)
    message = EmailMessage.objects.create(
        template=template,
        trigger=template.trigger,
        to_email=to_email,
        language=preview["language"],
        category=template.category,
        is_test=True,
        subject=preview["subject"][:255],
        html=preview["html"],
        text=preview["text"],
        next_attempt_at=work.first_due(EMAILS),
    )
    record_activity(actor=actor, action="email_template.test_sent", target=template, data={"to": to_email})
    work.enqueue(EMAILS, message.pk)
    return message


# Sending ---------------------------------------------------------------------------------------

_TRANSIENT_SMTP = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, _TRANSIENT_SMTP):
        return True
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code
        return status is None or status == 429 or status >= 500
    return isinstance(exc, AnymailAPIError) and exc.status_code is None


def _permanent_status(exc: Exception) -> str:
    if isinstance(exc, AnymailRecipientsRefused | smtplib.SMTPRecipientsRefused):
        return EmailMessage.Status.REJECTED
    return EmailMessage.Status.FAILED


# A fan-out's shared bodies, read once per worker process: a body never changes once stored. The key holds its
# creation time too, so an id used again (SQLite after a rollback) is another key.
_SHARED_BODIES: dict[tuple[int, Any], tuple[str, dict[str, Any]]] = {}
SHARED_BODIES_KEPT = 64


class OutgoingEmail(NamedTuple):
    """What the send reads of an email: the columns it builds the email with, its status, and its shared body's key
    (id and creation time; the body's HTML comes from `_SHARED_BODIES`). Plain values, no model object."""

    status: str
    trigger: str
    is_test: bool
    to_email: str
    reply_to: str
    subject: str
    text: str
    html: str
    shared_body_id: int | None
    body_created_at: datetime | None
    body_values: dict[str, Any]


def outgoing_emails(emails: QuerySet[EmailMessage], *, chunk_size: int | None = None) -> Iterator[OutgoingEmail]:
    """The emails as the send reads them, in one query (fetched in chunks when `chunk_size` is given)."""
    rows = emails.annotate(body_created_at=F("shared_body__created_at")).values_list(*OutgoingEmail._fields)
    return map(OutgoingEmail._make, rows.iterator(chunk_size=chunk_size) if chunk_size else rows)


def _shared_body(body_id: int, created_at: datetime | None) -> tuple[str, dict[str, Any]]:
    key = (body_id, created_at)
    kept = _SHARED_BODIES.get(key)
    if kept is None:
        if len(_SHARED_BODIES) >= SHARED_BODIES_KEPT:
            _SHARED_BODIES.clear()
        html, values = EmailBody.objects.values_list("html", "values").get(pk=body_id)
        kept = _SHARED_BODIES[key] = (html, values)
    return kept


def email_html(message: OutgoingEmail) -> str:
    """The HTML the email is sent with: its own, or its fan-out's shared body filled with the recipient's values
    (TemplateProblem when that fails)."""
    if message.shared_body_id is None:
        return message.html
    html, values = _shared_body(message.shared_body_id, message.body_created_at)
    return templating.fill_html(html, {**values, **message.body_values})


def _build(message: OutgoingEmail, html: str, backend: Any) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=providers.sender(),
        to=[message.to_email],
        reply_to=[message.reply_to] if message.reply_to else None,
        connection=backend,
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def _provider_message_id(email: EmailMultiAlternatives) -> str:
    status = getattr(email, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    return str(message_id) if message_id else ""


def send_email_message(message_id: int) -> str | None:
    """Send one queued email through the chosen provider; returns its status afterwards (None when there is no
    such email). A sent or failed email is left alone; a transient error leaves it queued and raises
    EmailTransientError (the task retries); a permanent one is recorded.

    The email is read locked as plain values (`outgoing_emails`) and its changes written with one UPDATE."""
    with transaction.atomic():
        locked = EmailMessage.objects.select_for_update(of=("self",)).filter(pk=message_id)
        message = next(outgoing_emails(locked), None)
        if message is None or message.status != EmailMessage.Status.QUEUED:
            return message.status if message is not None else None
        row = EmailMessage.objects.filter(pk=message_id)
        try:
            html = email_html(message)
        except templating.TemplateProblem as exc:
            now = timezone.now()
            row.update(status=EmailMessage.Status.FAILED, status_at=now, last_error=str(exc), updated_at=now)
            return EmailMessage.Status.FAILED
        provider, backend = providers.connection()
        email = _build(message, html, backend)
        try:
            email.send()
        except (AnymailError, smtplib.SMTPException, OSError) as exc:
            error, now = f"{type(exc).__name__}: {exc}"[:2000], timezone.now()
            if not _is_transient(exc):
                status = _permanent_status(exc)
                row.update(provider=provider, last_error=error, status=status, status_at=now, updated_at=now)
                logger.warning("Email %s refused by %s: %s", message_id, provider, error)
                return status
            row.update(provider=provider, last_error=error, updated_at=now)
        else:
            now = timezone.now()
            sent: dict[str, Any] = {
                "provider": provider,
                "status": EmailMessage.Status.SENT,
                "status_at": now,
                "sent_at": now,
                "provider_message_id": _provider_message_id(email)[:255],
                "last_error": "",
                "updated_at": now,
            }
            trigger = get_trigger(message.trigger)
            if trigger is not None and trigger.sensitive and not message.is_test:
                sent.update(html="", text="", body_cleared=True, shared_body=None, body_values={})
            row.update(**sent)
            return EmailMessage.Status.SENT
    raise EmailTransientError(error)  # only a transient error gets here, its attempt recorded


def give_up_emails(pks: Iterable[int]) -> None:
    """Emails still queued after every attempt: failed, with the last error kept."""
    EmailMessage.objects.filter(pk__in=list(pks), status=EmailMessage.Status.QUEUED).update(
        status=EmailMessage.Status.FAILED, status_at=timezone.now()
    )


# Opt-out ---------------------------------------------------------------------------------------


def marketing_opted_out(customer: Customer) -> bool:
    """Whether the client asked for no marketing email."""
    return EmailOptOut.objects.filter(customer=customer).exists()


@transaction.atomic
def set_marketing_opt_out(customer: Customer, *, opted_out: bool, actor: PermissionHolder | None) -> bool:
    """Record whether the client wants marketing email; transactional email is sent either way."""
    if opted_out:
        _row, changed = EmailOptOut.objects.get_or_create(customer=customer)
    else:
        changed = EmailOptOut.objects.filter(customer=customer).delete()[0] > 0
    if changed:
        record_activity(
            actor=actor, action="customer.marketing_email_opt_out", target=customer, data={"opted_out": opted_out}
        )
    return opted_out
