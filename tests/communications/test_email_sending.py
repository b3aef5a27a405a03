"""Sending: templates on events, conditions, languages, one email per (event, template, recipient), retries."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from crm.communications.models import EmailMessage, EmailOptOut, EmailTemplate
from crm.communications.services import email as email_services
from crm.communications.services.email_providers import configure_email_provider
from crm.communications.work import EMAILS
from crm.core import work
from crm.core.events import dispatch_event, emit
from crm.core.models import OutboxEvent
from tests.communications.factories import EmailTemplateFactory
from tests.customers.factories import CustomerFactory, PortalCustomerFactory
from tests.customers.portal import url

pytestmark = pytest.mark.django_db


def _deposit(customer, **extra):
    payload = {"customer_id": customer.pk, "amount": "100.00", "currency": "USD", "transaction_id": 1, **extra}
    return OutboxEvent.objects.create(name="deposit.completed", payload=payload)


def test_an_event_sends_its_template_in_the_clients_language(django_capture_on_commit_callbacks):
    EmailTemplate.objects.filter(trigger="deposit.completed").delete()
    template = EmailTemplateFactory()
    template.variants.create(language="es", subject="Depósito de {{ amount }}", txt="Hola {{ customer.first_name }}")
    customer = CustomerFactory(first_name="Ana", language="es")

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer))

    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body) == ([customer.email], "Depósito de 100.00", "Hola Ana")
    message = EmailMessage.objects.get()
    assert (message.status, message.language, message.customer, message.provider) == (
        "sent",
        "es",
        customer,
        "default",
    )


def test_a_language_without_variant_falls_back_to_the_default(django_capture_on_commit_callbacks):
    EmailTemplate.objects.filter(trigger="deposit.completed").delete()
    EmailTemplateFactory()
    customer = CustomerFactory(first_name="Li", language="zh")

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer))

    assert mail.outbox[0].body == "Hi Li, 100.00 USD arrived."
    assert "Hi Li" in mail.outbox[0].alternatives[0][0]
    assert EmailMessage.objects.get().language == "en"


def test_an_event_delivered_twice_sends_one_email(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    event = _deposit(customer)

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(event)
        email_services.queue_event_emails(event)

    assert len(mail.outbox) == 1
    assert EmailMessage.objects.count() == 1


def test_conditions_on_the_events_fields_choose_the_templates(django_capture_on_commit_callbacks):
    EmailTemplate.objects.filter(trigger="deposit.completed").delete()
    EmailTemplateFactory(title="first", conditions={"is_first": True})
    EmailTemplateFactory(title="euro", conditions={"currency": ["EUR", "GBP"]})
    EmailTemplateFactory(title="off", is_enabled=False)
    customer = CustomerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer, is_first=True))

    assert [m.template.title for m in EmailMessage.objects.all()] == ["first"]


def test_marketing_email_respects_the_opt_out_but_transactional_does_not(django_capture_on_commit_callbacks):
    EmailTemplate.objects.filter(trigger="deposit.completed").delete()
    EmailTemplateFactory(title="promo", category=EmailTemplate.Category.MARKETING)
    EmailTemplateFactory(title="receipt")
    customer = CustomerFactory()
    email_services.set_marketing_opt_out(customer, opted_out=True, actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer))

    statuses = dict(EmailMessage.objects.values_list("template__title", "status"))
    assert statuses == {"promo": "opted_out", "receipt": "sent"}
    assert len(mail.outbox) == 1
    assert EmailOptOut.objects.filter(customer=customer).exists()


def test_staff_templates_go_to_the_providers_staff_email(django_capture_on_commit_callbacks):
    configure_email_provider("default", actor=None, staff_email="desk@broker.test")
    EmailTemplateFactory(
        trigger="withdrawal.requested",
        recipient="staff",
        subject="Withdrawal {{ amount }}",
        mjml="",
        txt="{{ amount }}",
    )

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(
            OutboxEvent.objects.create(name="withdrawal.requested", payload={"customer_id": None, "amount": "5"})
        )

    assert [m.to for m in mail.outbox] == [["desk@broker.test"]]


def test_a_variable_missing_from_the_event_is_recorded_as_failed(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    event = OutboxEvent.objects.create(name="deposit.completed", payload={"customer_id": customer.pk})

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(event)

    message = EmailMessage.objects.get()
    assert message.status == "failed"
    assert "amount" in message.last_error
    assert mail.outbox == []


def test_a_transient_provider_error_keeps_the_email_queued_then_it_is_sent(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPServerDisconnected("gone"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email_services.queue_event_emails(_deposit(customer))

    message = EmailMessage.objects.get()
    assert (message.status, message.attempts, "gone" in message.last_error) == ("queued", 1, True)

    with django_capture_on_commit_callbacks(execute=True):
        work.requeue(EMAILS, [message.pk])

    message.refresh_from_db()
    assert (message.status, message.attempts, len(mail.outbox)) == ("sent", 2, 1)


def test_a_permanent_provider_error_is_recorded_and_not_retried(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    refused = smtplib.SMTPRecipientsRefused({customer.email: (550, b"no such user")})
    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email_services.queue_event_emails(_deposit(customer))

    message = EmailMessage.objects.get()
    assert message.status == "rejected"
    assert work.due(EMAILS).count() == 0


def test_sending_twice_sends_once(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer))
    message = EmailMessage.objects.get()

    again = email_services.send_email_message(message.pk)

    assert (again, len(mail.outbox)) == ("sent", 1)


def test_a_sent_email_records_when_and_through_which_provider():
    customer = CustomerFactory()
    email_services.queue_event_emails(_deposit(customer))
    queued = EmailMessage.objects.get()

    status = email_services.send_email_message(queued.pk)

    sent = EmailMessage.objects.get()
    assert (status, sent.status, sent.provider, sent.last_error) == ("sent", "sent", "default", "")
    assert sent.sent_at == sent.status_at == sent.updated_at
    assert sent.updated_at > queued.updated_at
    assert (sent.subject, sent.text, sent.html) == (queued.subject, queued.text, queued.html)
    assert mail.outbox[0].alternatives[0][0] == queued.html


def test_emails_out_of_attempts_are_failed():
    customer = CustomerFactory()
    email_services.queue_event_emails(_deposit(customer))
    EmailMessage.objects.update(attempts=8, next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    work.sweep(EMAILS)

    assert EmailMessage.objects.get().status == "failed"


def test_the_password_reset_link_leaves_the_event_and_the_log_once_sent(
    api_client, django_capture_on_commit_callbacks
):
    customer = PortalCustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(url("auth-request-password-reset"), {"contact": customer.email}, format="json")

    (sent,) = mail.outbox
    assert "reset-password?token=" in sent.body
    assert "reset-password?token=" in sent.alternatives[0][0]
    event = OutboxEvent.objects.get(name="customer.password_reset_requested")
    assert event.payload["link"] == ""
    message = EmailMessage.objects.get()
    assert (message.text, message.html, message.body_cleared) == ("", "", True)


def test_the_outbox_dispatch_sends_the_email_once(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("kyc.approved", customer_id=customer.pk, verification_level_id=None)
    dispatch_event(event.pk)

    assert [m.subject for m in mail.outbox] == ["Your account at Broker Back Office is verified"]


def test_a_client_journey_gets_its_emails_from_templates_in_its_language(
    api_client, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from crm.customers.models import Customer
    from crm.wallets import services as wallet_services
    from tests.wallets.factories import WalletFactory

    body = {"form": "demo", "email": "ana@example.com", "password": "A-long-pass-phrase-1", "first_name": "Ana"}
    body["language"] = "es"
    with django_capture_on_commit_callbacks(execute=True):
        signed_up = api_client.post(url("auth-sign-up"), body, format="json")
    assert signed_up.status_code == 201, signed_up.json()
    wallet = WalletFactory(customer=Customer.objects.get(email="ana@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        deposit = wallet_services.start_deposit(wallet.customer, wallet=wallet, amount=Decimal("100.00"), actor=None)
        wallet_services.confirm_deposit(deposit, provider_reference="psp-1")
        wallet_services.request_withdrawal(wallet.customer, wallet=wallet, amount=Decimal("40.00"), actor=None)

    assert [m.subject for m in mail.outbox] == [
        "Confirme su correo para Broker Back Office",
        "Recibimos su depósito de 100.00 USD",
        "Recibimos su solicitud de retiro de 40.00 USD",
    ]
    assert all(m.to == ["ana@example.com"] for m in mail.outbox)
    assert "Hola Ana:" in mail.outbox[1].body
    logged = EmailMessage.objects.order_by("pk").values_list("trigger", "language", "status")
    assert list(logged) == [
        ("customer.email_confirmation_requested", "es", "sent"),
        ("deposit.completed", "es", "sent"),
        ("withdrawal.requested", "es", "sent"),
    ]
