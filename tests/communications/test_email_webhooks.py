"""Delivery webhooks: checked by anymail's validators, stored raw, de-duplicated, recorded on the log."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from crm.communications.models import EmailDeliveryEvent, EmailWebhook
from crm.communications.services.email_providers import configure_email_provider
from tests.communications.factories import EmailMessageFactory

pytestmark = pytest.mark.django_db
SIGNING_KEY = "whsec-mailgun"


@pytest.fixture
def mailgun():
    configure_email_provider(
        "mailgun",
        actor=None,
        sender="no-reply@mg.broker.test",
        staff_email="desk@broker.test",
        api_key="key-123",
        domain="mg.broker.test",
        username="postmaster@mg.broker.test",
        webhook_signing_key=SIGNING_KEY,
    )


def _mailgun_body(event, message_id, *, key=SIGNING_KEY, token="t1", reason=""):  # noqa: S107 (a webhook nonce)
    timestamp = "1764806400"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "id": f"evt-{token}",
            "timestamp": 1764806400.0,
            "recipient": "ana@example.com",
            "severity": "permanent" if event == "failed" else "",
            "delivery-status": {"message": reason, "description": reason},
            "message": {"headers": {"message-id": message_id}},
        },
    }


def _post(client, provider, body, **headers):
    return client.post(
        reverse("communications:email-webhook", args=[provider]),
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_signed_mailgun_delivery_is_recorded_on_the_email(client, mailgun, django_capture_on_commit_callbacks):
    message = EmailMessageFactory(status="sent", provider="mailgun", provider_message_id="<m1@mg.broker.test>")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "mailgun", _mailgun_body("delivered", "m1@mg.broker.test"))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(EmailDeliveryEvent.objects.values_list("event_type", flat=True)) == ["delivered"]


def test_a_bounce_is_final_and_a_later_delivery_does_not_undo_it(client, mailgun, django_capture_on_commit_callbacks):
    message = EmailMessageFactory(status="sent", provider="mailgun", provider_message_id="<m2@mg.broker.test>")

    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "mailgun", _mailgun_body("failed", "m2@mg.broker.test", token="t2", reason="mailbox full"))
        _post(client, "mailgun", _mailgun_body("delivered", "m2@mg.broker.test", token="t3"))

    message.refresh_from_db()
    assert message.status == "bounced"
    assert message.delivery_events.count() == 2


def test_a_forged_signature_is_refused_and_recorded(client, mailgun, django_capture_on_commit_callbacks):
    message = EmailMessageFactory(status="sent", provider="mailgun", provider_message_id="<m3@mg.broker.test>")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "mailgun", _mailgun_body("delivered", "m3@mg.broker.test", key="forged"))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    webhook = EmailWebhook.objects.get()
    assert (webhook.signature_valid, webhook.processed_at) == (False, None)
    assert "signature" in webhook.error
    message.refresh_from_db()
    assert message.status == "sent"


def test_the_same_webhook_twice_is_recorded_once(client, mailgun, django_capture_on_commit_callbacks):
    EmailMessageFactory(status="sent", provider="mailgun", provider_message_id="<m4@mg.broker.test>")
    body = _mailgun_body("delivered", "m4@mg.broker.test", token="t4")

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, "mailgun", body)
        second = _post(client, "mailgun", body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert EmailWebhook.objects.count() == 1
    assert EmailDeliveryEvent.objects.count() == 1


def test_a_provider_without_a_webhook_secret_refuses_every_call(client, django_capture_on_commit_callbacks):
    configure_email_provider("brevo", actor=None, sender="a@broker.test", staff_email="d@broker.test", api_key="k")
    body = {"event": "delivered", "email": "ana@example.com", "message-id": "<b1@smtp-relay>"}

    response = _post(client, "brevo", body)

    assert response.status_code == 401
    assert EmailWebhook.objects.get().signature_valid is False


def test_brevo_webhooks_are_checked_with_basic_auth(client, django_capture_on_commit_callbacks):
    configure_email_provider(
        "brevo", actor=None, sender="a@broker.test", staff_email="d@broker.test", api_key="k", webhook_secret="hook:pw"
    )
    message = EmailMessageFactory(status="sent", provider="brevo", provider_message_id="<b2@smtp-relay>")
    body = {"event": "hard_bounce", "email": "ana@example.com", "message-id": "<b2@smtp-relay>", "reason": "no user"}
    good = "Basic " + base64.b64encode(b"hook:pw").decode()
    bad = "Basic " + base64.b64encode(b"hook:guess").decode()

    with django_capture_on_commit_callbacks(execute=True):
        refused = _post(client, "brevo", {**body, "id": 1}, HTTP_AUTHORIZATION=bad)
        accepted = _post(client, "brevo", body, HTTP_AUTHORIZATION=good)

    assert (refused.status_code, accepted.status_code) == (401, 200)
    message.refresh_from_db()
    assert message.status == "bounced"


def test_an_unknown_provider_is_not_found(client):
    assert _post(client, "postmark", {}).status_code == 404
