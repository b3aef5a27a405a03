"""A message to many clients as templated emails: one email per client, in their language, in bulk."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.communications import templating
from crm.communications.models import EmailBody, EmailMessage, EmailOptOut, EmailTemplate
from crm.communications.services import email as email_services
from crm.communications.services.messages import send_group_message
from crm.core.events import dispatch_event
from crm.core.models import OutboxEvent
from tests.customers.factories import PortalCustomerFactory

pytestmark = pytest.mark.django_db


def _enable_shipped():
    template = EmailTemplate.objects.get(trigger="group_message.sent")
    assert (template.is_enabled, template.category) == (False, "marketing")
    EmailTemplate.objects.filter(pk=template.pk).update(is_enabled=True)
    return template


def test_a_message_to_all_emails_each_client_in_their_language(admin_staff, django_capture_on_commit_callbacks):
    _enable_shipped()
    ana = PortalCustomerFactory(first_name="Ana", language="es")
    bob = PortalCustomerFactory(first_name="Bob", language="en")
    opted = PortalCustomerFactory(first_name="Cy", language="en")
    EmailOptOut.objects.create(customer=opted)

    with django_capture_on_commit_callbacks(execute=True):
        send_group_message(audience="all", subject="Gold is up", text="Spreads <tight> & low", actor=admin_staff)
    event = OutboxEvent.objects.get(name="group_message.sent")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_event(event.pk)

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {ana.email, bob.email}
    assert sent[ana.email].subject == "Gold is up"
    assert sent[ana.email].body.startswith("Hola Ana:")
    assert "Hello Bob," in sent[bob.email].body
    assert "Spreads <tight> & low" in sent[bob.email].body
    assert "Spreads &lt;tight&gt; &amp; low" in sent[bob.email].alternatives[0][0]
    logged = dict(EmailMessage.objects.values_list("customer__first_name", "status"))
    assert logged == {"Ana": "sent", "Bob": "sent", "Cy": "opted_out"}


def test_a_second_run_writes_no_second_email(admin_staff, django_capture_on_commit_callbacks):
    _enable_shipped()
    PortalCustomerFactory.create_batch(3)
    send_group_message(audience="all", subject="News", text="Rates", actor=admin_staff)
    event = OutboxEvent.objects.get(name="group_message.sent")

    email_services.queue_event_emails(event)
    email_services.queue_event_emails(event)

    assert EmailMessage.objects.filter(event=event).count() == 3


def test_the_fanout_runs_a_fixed_number_of_queries(admin_staff, django_assert_max_num_queries):
    _enable_shipped()
    PortalCustomerFactory.create_batch(30)
    send_group_message(audience="all", subject="News", text="Rates", actor=admin_staff)
    event = OutboxEvent.objects.get(name="group_message.sent")

    with django_assert_max_num_queries(8):
        email_services.queue_event_emails(event)

    assert EmailMessage.objects.filter(event=event, status="queued").count() == 30


def test_nothing_is_emailed_while_the_shipped_template_is_disabled(admin_staff):
    PortalCustomerFactory()
    send_group_message(audience="all", subject="News", text="Rates", actor=admin_staff)

    email_services.queue_event_emails(OutboxEvent.objects.get(name="group_message.sent"))

    assert not EmailMessage.objects.exists()


def test_the_mjml_body_is_compiled_once_for_every_email(monkeypatch):
    import mjml

    calls = []
    real = mjml.mjml2html
    monkeypatch.setattr(mjml, "mjml2html", lambda source: calls.append(source) or real(source))
    source = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ name }} {{ 7 }}</mj-text>"
        '<mj-button href="{{ link }}">Go</mj-button></mj-column></mj-section></mj-body></mjml>'
    )

    first = templating.render_html(source, {"name": "<Ann>", "link": "https://x.example/?a=1&b=2"})
    second = templating.render_html(source, {"name": "Bo", "link": "https://y.example/"})

    assert len(calls) == 1
    assert "Hi &lt;Ann&gt; 7" in first
    assert 'href="https://x.example/?a=1&amp;b=2"' in first
    assert "Hi Bo 7" in second


@pytest.mark.parametrize("amount", ["", "5"])
def test_compiling_once_gives_the_html_of_filling_first(amount):
    import mjml

    source = (
        "<mjml><mj-body>{% if amount %}<mj-section><mj-column><mj-text>{{ amount }} & {{ who }}</mj-text>"
        "</mj-column></mj-section>{% endif %}<mj-section><mj-column><mj-text>B</mj-text></mj-column></mj-section>"
        "</mj-body></mjml>"
    )
    context = {"amount": amount, "who": "<b>"}

    filled_first = str(mjml.mjml2html(templating._html_env.from_string(source).render(context)))

    assert templating.render_html(source, context) == filled_first


def test_each_email_sends_its_own_html_from_one_body_per_language(admin_staff, django_capture_on_commit_callbacks):
    template = _enable_shipped()
    clients = [
        PortalCustomerFactory(first_name=name, language=lang)
        for name, lang in [("Ana", "es"), ("Bo", "en"), ("Cy", "en")]
    ]
    send_group_message(audience="all", subject="Gold", text="Up <fast>", actor=admin_staff)
    event = OutboxEvent.objects.get(name="group_message.sent")

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(event)

    assert EmailBody.objects.count() == 2  # one per language, however many clients speak it
    sent = {m.to[0]: m.alternatives[0][0] for m in mail.outbox}
    for client in clients:
        language, source = email_services.version_for(template, client.language)
        expected = templating.render_html(source.mjml, email_services.context_for(event.payload, client))
        assert sent[client.email] == expected
        assert f"{'Hola' if language == 'es' else 'Hello'} {client.first_name}" in expected
    assert set(EmailMessage.objects.values_list("text", flat=True)) == {
        m.body for m in mail.outbox
    }  # the timeline's text is what was sent


def test_a_worker_reads_each_shared_body_once_for_all_its_sends(admin_staff):
    _enable_shipped()
    for name in ("Bo", "Cy", "Di"):
        PortalCustomerFactory(first_name=name, language="en")
    send_group_message(audience="all", subject="Gold", text="Up", actor=admin_staff)
    email_services.queue_event_emails(OutboxEvent.objects.get(name="group_message.sent"))
    first, *others = EmailMessage.objects.order_by("pk")
    email_services._SHARED_BODIES.clear()

    def body_reads(queries) -> int:
        return sum('FROM "communications_emailbody"' in q["sql"] for q in queries)

    with CaptureQueriesContext(connection) as first_send:
        email_services.send_email_message(first.pk)
    with CaptureQueriesContext(connection) as later_sends:
        for message in others:
            email_services.send_email_message(message.pk)

    assert (body_reads(first_send), body_reads(later_sends)) == (1, 0)  # each row comes with the body's key only
    assert len(mail.outbox) == 3
    assert all("Hello" in m.alternatives[0][0] for m in mail.outbox)


def test_an_email_its_client_cannot_fill_fails_when_sent_and_the_others_go(
    admin_staff, django_capture_on_commit_callbacks
):
    template = _enable_shipped()
    mjml = template.mjml.replace("{{ text }}", "{{ text }} {{ customer.first_name[3] }}")
    EmailTemplate.objects.filter(pk=template.pk).update(mjml=mjml)
    template.variants.all().delete()
    PortalCustomerFactory(first_name="Bobby", language="en")
    PortalCustomerFactory(first_name="Al", language="en")
    send_group_message(audience="all", subject="Gold", text="Up", actor=admin_staff)

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(OutboxEvent.objects.get(name="group_message.sent"))

    assert [m.to[0] for m in mail.outbox] == [EmailMessage.objects.get(customer__first_name="Bobby").to_email]
    failed = EmailMessage.objects.get(customer__first_name="Al")
    assert failed.status == "failed"
    assert failed.last_error
