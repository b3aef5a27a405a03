"""Text messages: Twilio through its official library against a local stand-in, the log by default, phone
confirmation through the configured provider, staff texting a client."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from django.urls import reverse, reverse_lazy
from twilio.http.http_client import TwilioHttpClient

from crm.communications.models import SmsProvider, TextMessage
from crm.communications.services import sms as services
from crm.core import crypto
from crm.core.sms import send_sms
from tests.customers.factories import PortalCustomerFactory

pytestmark = pytest.mark.django_db
TEXTS = reverse_lazy("backoffice:text-message-list")
SID = "AC" + "1" * 32


@pytest.fixture
def twilio(monkeypatch):
    """A stand-in of Twilio's Messages API on 127.0.0.1; the library's requests are sent there unchanged."""
    received = []
    answer = {"status": 201}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            received.append({"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)})
            if answer["status"] == 201:
                payload = {"sid": "SM" + "a" * 32, "status": "queued", "account_sid": SID}
            else:
                payload = {"code": 21211, "message": "The 'To' number is not valid.", "status": answer["status"]}
            raw = json.dumps(payload).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"127.0.0.1:{server.server_address[1]}"

    class LocalTwilio(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            parts = urlsplit(url)
            assert parts.netloc == "api.twilio.com"
            return super().request(method, urlunsplit(("http", local, parts.path, parts.query, "")), *args, **kwargs)

    monkeypatch.setattr(services, "http_client", lambda: LocalTwilio(timeout=5))
    yield received, answer
    server.shutdown()
    server.server_close()


def twilio_provider(**kwargs):
    values = {"name": "Twilio", "kind": "twilio", "is_active": True, "account_sid": SID, "from_number": "+15005550006"}
    return services.save_provider(SmsProvider(**{**values, **kwargs}), auth_token="secret-token")


def test_phone_confirmation_goes_through_twilio_with_the_code_masked_on_record(twilio, settings):
    received, _answer = twilio
    settings.SMS_BACKEND = "crm.communications.services.sms.ConfiguredSmsBackend"
    twilio_provider()
    customer = PortalCustomerFactory(phone="+447700900123")

    send_sms("+447700900123", "Your code is 482913")

    [request] = received
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["form"] == {"To": ["+447700900123"], "From": ["+15005550006"], "Body": ["Your code is 482913"]}
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{SID}:secret-token".encode()).decode()
    record = TextMessage.objects.get()
    assert (record.customer, record.status, record.provider) == (customer, "sent", "twilio")
    assert record.text == "Your code is ******"
    assert record.provider_reference == "SM" + "a" * 32


def test_without_a_provider_texts_go_to_the_log(settings, caplog):
    settings.SMS_BACKEND = "crm.communications.services.sms.ConfiguredSmsBackend"

    with caplog.at_level("INFO", logger="crm.core.sms"):
        send_sms("+447700900123", "Your code is 1234")

    assert "Your code is 1234" in caplog.text
    assert TextMessage.objects.get().provider == "log"


def test_the_auth_token_is_stored_encrypted():
    provider = twilio_provider()

    assert "secret-token" not in provider.auth_token_encrypted
    assert crypto.decrypt(provider.auth_token_encrypted) == "secret-token"


def test_one_provider_is_active_at_a_time():
    first = twilio_provider(name="First")
    second = twilio_provider(name="Second")

    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)


def test_twilio_needs_its_credentials():
    with pytest.raises(services.DomainError) as refused:
        services.save_provider(SmsProvider(name="T", kind="twilio", is_active=True))

    assert set(refused.value.fields) == {"account_sid", "from_number", "auth_token"}


def test_staff_texts_own_client_through_twilio(api_client, sales_agent, twilio):
    received, _answer = twilio
    twilio_provider(from_number="", messaging_service_sid="MG" + "2" * 32)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900124")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(TEXTS, {"customer_id": customer.pk, "text": "Call me back"}, format="json")

    assert response.status_code == 201
    assert received[0]["form"]["MessagingServiceSid"] == ["MG" + "2" * 32]
    record = TextMessage.objects.get()
    assert (record.sender, record.text, record.status) == (sales_agent, "Call me back", "sent")
    customer.refresh_from_db()
    assert customer.last_contact_at == record.created_at


def test_a_twilio_refusal_is_recorded_and_answered(api_client, admin_staff, twilio):
    _received, answer = twilio
    answer["status"] = 400
    twilio_provider()
    customer = PortalCustomerFactory(phone="+447700900125")
    api_client.force_authenticate(admin_staff)

    response = api_client.post(TEXTS, {"customer_id": customer.pk, "text": "Hello"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sms_failed"
    record = TextMessage.objects.get()
    assert record.status == "failed"
    assert "21211" in record.error
    customer.refresh_from_db()
    assert customer.last_contact_at is None


def test_agent_cannot_text_another_agents_client(api_client, sales_agent):
    customer = PortalCustomerFactory(phone="+447700900126")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(TEXTS, {"customer_id": customer.pk, "text": "Hello"}, format="json")

    assert response.status_code == 404
    assert not TextMessage.objects.exists()


def test_text_list_is_scoped_and_flat(api_client, sales_agent, django_assert_num_queries):
    own = PortalCustomerFactory(conversion_agent=sales_agent)
    TextMessage.objects.create(customer=own, phone="+1", text="a", provider="log", status="sent")
    TextMessage.objects.create(customer=PortalCustomerFactory(), phone="+2", text="b", provider="log", status="sent")
    api_client.force_authenticate(sales_agent)

    response = api_client.get(TEXTS)

    assert [row["customer_id"] for row in response.json()["results"]] == [own.pk]
    for _ in range(10):
        TextMessage.objects.create(customer=own, phone="+1", text="a", provider="log", status="sent")
    with django_assert_num_queries(2):
        api_client.get(TEXTS)


def test_admin_saves_a_twilio_provider_with_a_write_only_token(client, admin_staff):
    client.force_login(admin_staff)
    form = {
        "name": "Twilio",
        "kind": "twilio",
        "is_active": "on",
        "account_sid": SID,
        "from_number": "+15005550006",
        "messaging_service_sid": "",
        "auth_token": "from-the-admin",
    }

    response = client.post(reverse("admin:communications_smsprovider_add"), form)

    assert response.status_code == 302
    provider = SmsProvider.objects.get()
    assert crypto.decrypt(provider.auth_token_encrypted) == "from-the-admin"
    page = client.get(reverse("admin:communications_smsprovider_change", args=[provider.pk])).content.decode()
    assert "from-the-admin" not in page
    client.post(reverse("admin:communications_smsprovider_change", args=[provider.pk]), {**form, "auth_token": ""})
    provider.refresh_from_db()
    assert crypto.decrypt(provider.auth_token_encrypted) == "from-the-admin"
