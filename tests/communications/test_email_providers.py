"""Each provider through its real library (django-anymail, Django's SMTP backend) against a local HTTP stand-in
that records the exact request it gets."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from crm.communications import providers
from crm.communications.models import EmailMessage
from crm.communications.services import email as email_services
from crm.communications.services.email_providers import configure_email_provider
from tests.communications.factories import EmailMessageFactory

pytestmark = pytest.mark.django_db


class StandIn:
    """A local HTTP server answering every request with `status` and `body`, keeping what it received."""

    def __init__(self):
        self.requests = []
        self.status, self.body, self.headers = 200, b"{}", {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                stand_in.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
                )
                self.send_response(stand_in.status)
                for name, value in stand_in.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(stand_in.body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()


def _queued(**kwargs):
    return EmailMessageFactory(
        to_email="ana@example.com", subject="Deposit received", text="Hello Ana", html="<p>Hello Ana</p>", **kwargs
    )


def test_mailgun_sends_through_anymail_with_the_domain_and_key(stand_in):
    stand_in.body = json.dumps({"id": "<20261204.1@mg.broker.test>", "message": "Queued. Thank you."}).encode()
    configure_email_provider(
        "mailgun",
        actor=None,
        sender="Broker <no-reply@mg.broker.test>",
        staff_email="desk@broker.test",
        api_key="key-123",
        domain="mg.broker.test",
        username="postmaster@mg.broker.test",
        api_url=stand_in.url,
    )
    message = _queued()

    email_services.send_email_message(message.pk)

    (request,) = stand_in.requests
    assert request["path"] == "/v3/mg.broker.test/messages"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"api:key-123").decode()
    assert parse_qs(request["body"].decode()) == {
        "from": ["Broker <no-reply@mg.broker.test>"],
        "to": ["ana@example.com"],
        "subject": ["Deposit received"],
        "text": ["Hello Ana"],
        "html": ["<p>Hello Ana</p>"],
    }
    message.refresh_from_db()
    assert (message.status, message.provider) == ("sent", "mailgun")
    assert message.provider_message_id == "<20261204.1@mg.broker.test>"


def test_brevo_sends_json_with_the_api_key_header(stand_in):
    stand_in.status, stand_in.body = 201, json.dumps({"messageId": "<brevo-1@smtp-relay>"}).encode()
    configure_email_provider(
        "brevo",
        actor=None,
        sender="no-reply@broker.test",
        staff_email="desk@broker.test",
        api_key="xkeysib-1",
        api_url=stand_in.url,
    )
    message = _queued()

    email_services.send_email_message(message.pk)

    (request,) = stand_in.requests
    assert request["path"] == "/v3/smtp/email"
    assert request["headers"]["api-key"] == "xkeysib-1"
    sent = json.loads(request["body"])
    assert sent["to"] == [{"email": "ana@example.com"}]
    assert (sent["subject"], sent["textContent"], sent["htmlContent"]) == (
        "Deposit received",
        "Hello Ana",
        "<p>Hello Ana</p>",
    )
    assert sent["sender"] == {"email": "no-reply@broker.test"}
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("sent", "<brevo-1@smtp-relay>")


def test_sendgrid_sends_json_with_a_bearer_key(stand_in):
    stand_in.status, stand_in.body = 202, b""
    configure_email_provider(
        "sendgrid",
        actor=None,
        sender="no-reply@broker.test",
        staff_email="desk@broker.test",
        api_key="SG.key",
        api_url=stand_in.url,
    )
    message = _queued()

    email_services.send_email_message(message.pk)

    (request,) = stand_in.requests
    assert request["path"] == "/v3/mail/send"
    assert request["headers"]["Authorization"] == "Bearer SG.key"
    sent = json.loads(request["body"])
    assert sent["personalizations"][0]["to"] == [{"email": "ana@example.com"}]
    assert sent["from"] == {"email": "no-reply@broker.test"}
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_message_id  # anymail's own id, sent as a custom arg and reported back by webhooks


def test_a_provider_outage_leaves_the_email_queued_and_a_refusal_fails_it(stand_in):
    configure_email_provider(
        "brevo", actor=None, sender="a@broker.test", staff_email="d@broker.test", api_key="k", api_url=stand_in.url
    )
    stand_in.status, stand_in.body = 503, b'{"message": "try later"}'
    outage = _queued()
    with pytest.raises(email_services.EmailTransientError):
        email_services.send_email_message(outage.pk)

    stand_in.status, stand_in.body = 400, b'{"code": "invalid_parameter", "message": "bad sender"}'
    refused = _queued()
    email_services.send_email_message(refused.pk)

    outage.refresh_from_db()
    refused.refresh_from_db()
    assert (outage.status, "503" in outage.last_error) == ("queued", True)
    assert (refused.status, "bad sender" in refused.last_error) == ("failed", True)


def test_smtp_settings_build_djangos_smtp_backend():
    configure_email_provider(
        "smtp",
        actor=None,
        sender="a@broker.test",
        staff_email="d@broker.test",
        host="smtp.broker.test",
        port=465,
        username="mailer",
        password="s3cret",
        secure=True,
    )

    name, backend = providers.connection()

    assert name == "smtp"
    assert isinstance(backend, SmtpBackend)
    assert (backend.host, backend.port, backend.username, backend.password) == (
        "smtp.broker.test",
        465,
        "mailer",
        "s3cret",
    )
    assert (backend.use_ssl, backend.use_tls) == (True, False)


def test_switching_back_to_the_default_uses_djangos_backend(stand_in):
    configure_email_provider(
        "brevo", actor=None, sender="a@broker.test", staff_email="d@broker.test", api_key="k", api_url=stand_in.url
    )
    configure_email_provider("default", actor=None)

    message = _queued()
    email_services.send_email_message(message.pk)

    assert stand_in.requests == []
    assert EmailMessage.objects.get(pk=message.pk).provider == "default"
