"""VoIP: provider settings, click-to-call through Voiso and Coperato (against a local stand-in) and the
simulated provider, the providers' webhooks authenticated and de-duplicated, calls on the timeline."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy

from crm.communications.models import CallEvent, ProviderCall, VoipProvider
from crm.communications.services import calls as services
from crm.communications.tasks import process_call_event_task
from crm.core import crypto
from crm.customers.models import Call
from crm.sales.models import LeadCommunication
from tests.customers.factories import PortalCustomerFactory
from tests.sales.factories import LeadFactory

pytestmark = pytest.mark.django_db
CALLS = reverse_lazy("backoffice:voip-call-list")
TOKEN = "webhook-token-0123456789"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def provider_stand_in():
    """A VoIP provider's API on 127.0.0.1 that records each request and answers a call id."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            received.append({"method": self.command, "path": self.path, "body": body})
            raw = json.dumps({"uuid": "voiso-call-1", "guid": "cop-call-1"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            self._answer(b"")

        def do_POST(self):
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def voiso(url, agent=None):
    voip = services.configure_provider(
        "voiso", url=url, api_key="key-123", webhook_token=TOKEN, is_active=True, actor=None
    )
    if agent is not None:
        services.map_agent(agent, code="voiso", external_id="1001", actor=None)
    return voip


def coperato(url, agent=None):
    voip = services.configure_provider("coperato", url=url + "/call", webhook_token=TOKEN, is_active=True, actor=None)
    if agent is not None:
        services.map_agent(agent, code="coperato", external_id="77", actor=None)
    return voip


def hook(client, provider, body, token=TOKEN):
    url = reverse("communications:voip-webhook", args=[provider])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_agent_calls_own_client_through_voiso(api_client, sales_agent, provider_stand_in):
    url, received = provider_stand_in
    voiso(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(CALLS, {"customer_id": customer.pk}, format="json")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["external_id"]) == ("initiated", "voiso-call-1")
    [request] = received
    parts = urlsplit(request["path"])
    assert parts.path == "/api/v1/key-123/click2call"
    assert parse_qs(parts.query) == {"agent": ["1001"], "number": ["447700900123"]}


def test_voiso_webhook_ends_the_call_on_the_timeline(client, api_client, sales_agent, provider_stand_in, committed):
    url, _received = provider_stand_in
    voiso(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    api_client.force_authenticate(sales_agent)
    api_client.post(CALLS, {"customer_id": customer.pk}, format="json")

    with committed():
        response = hook(client, "voiso", {"disposition": "answered", "duration": 35, "account_id": "1001"})

    assert response.status_code == 200
    call = ProviderCall.objects.get()
    assert (call.status, call.duration) == ("completed", 35)
    logged = Call.objects.get(customer=customer)
    assert (logged.outcome, logged.agent, call.call) == ("answered", sales_agent, logged)
    assert "35 s" in logged.note
    customer.refresh_from_db()
    assert customer.last_contact_at == logged.created_at
    timeline = api_client.get(reverse("backoffice:customer-communications-detail", args=[customer.pk])).json()
    assert timeline["results"][0]["ref"] == f"call:{logged.pk}"


def test_coperato_call_with_recording(client, api_client, sales_agent, provider_stand_in, committed):
    url, received = provider_stand_in
    coperato(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    api_client.force_authenticate(sales_agent)
    api_client.post(CALLS, {"customer_id": customer.pk}, format="json")

    with committed():
        for body in (
            {"status": "RINGING", "guid": "cop-call-1"},
            {"status": "ANSWERED", "guid": "cop-call-1"},
            {"status": "END", "guid": "cop-call-1", "duration": 61, "recordingFile": "https://rec.example/1.mp3"},
        ):
            assert hook(client, "coperato", body).status_code == 200

    assert json.loads(received[0]["body"]) == {"agentId": "77", "phone": "+447700900123"}
    call = ProviderCall.objects.get()
    assert (call.status, call.was_answered, call.recording_url) == ("completed", True, "https://rec.example/1.mp3")
    assert "https://rec.example/1.mp3" in Call.objects.get().note


def test_coperato_end_without_answer_is_no_answer(client, sales_agent, provider_stand_in, committed):
    url, _received = provider_stand_in
    coperato(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    services.start_call(agent=sales_agent, customer=customer)

    with committed():
        hook(client, "coperato", {"status": "END", "guid": "cop-call-1", "duration": 0})

    assert ProviderCall.objects.get().status == "no_answer"
    assert Call.objects.get().outcome == "no_answer"


def test_a_webhook_delivered_twice_is_processed_once(client, sales_agent, provider_stand_in, committed):
    url, _received = provider_stand_in
    coperato(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    services.start_call(agent=sales_agent, customer=customer)
    body = {"status": "END", "guid": "cop-call-1", "duration": 5}

    with committed():
        first = hook(client, "coperato", body)
        second = hook(client, "coperato", body)

    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert CallEvent.objects.filter(is_authentic=True).count() == 1
    assert Call.objects.count() == 1
    process_call_event_task.apply(args=[CallEvent.objects.get().pk])
    assert Call.objects.count() == 1


def test_a_webhook_with_a_wrong_token_is_refused_and_recorded(client, provider_stand_in):
    url, _received = provider_stand_in
    coperato(url)

    wrong = hook(client, "coperato", {"status": "END", "guid": "x"}, token="forged-token-forged")
    missing = hook(client, "coperato", {"status": "END", "guid": "x"}, token="")

    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"]["code"] == "invalid_token"
    assert list(CallEvent.objects.values_list("status", flat=True)) == ["rejected", "rejected"]
    assert not ProviderCall.objects.exists()


def test_an_unreadable_webhook_is_refused(client, provider_stand_in):
    url, _received = provider_stand_in
    voiso(url)

    response = hook(client, "voiso", {"disposition": "maybe"})

    assert response.status_code == 400
    assert CallEvent.objects.get().status == "failed"


def test_the_refusal_of_an_unreadable_webhook_is_translated(client, provider_stand_in):
    url, _received = provider_stand_in
    voiso(url)
    path = reverse("communications:voip-webhook", args=["voiso"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}", "HTTP_ACCEPT_LANGUAGE": "es"}

    response = client.post(path, "[1]", content_type="application/json", **headers)

    assert response.status_code == 400
    assert "El cuerpo no es un objeto JSON." in str(response.json())


def test_lead_call_through_the_simulated_provider(api_client, sales_agent, committed):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    with committed():
        response = api_client.post(CALLS, {"lead_id": lead.pk}, format="json")

    assert response.status_code == 201
    call = ProviderCall.objects.get()
    assert (call.provider.code, call.status, call.duration) == ("simulated", "completed", 42)
    communication = LeadCommunication.objects.get(lead=lead)
    assert (communication.channel, communication.staff) == ("call", sales_agent)
    lead.refresh_from_db()
    assert lead.last_contact_at == communication.created_at


def test_agent_cannot_call_another_agents_client_or_lead(api_client, sales_agent):
    customer = PortalCustomerFactory(phone="+447700900123")
    lead = LeadFactory()
    api_client.force_authenticate(sales_agent)

    assert api_client.post(CALLS, {"customer_id": customer.pk}, format="json").status_code == 404
    assert api_client.post(CALLS, {"lead_id": lead.pk}, format="json").status_code == 404
    assert not ProviderCall.objects.exists()


def test_agent_without_an_id_at_the_provider_is_refused(api_client, sales_agent, provider_stand_in):
    url, received = provider_stand_in
    voiso(url)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(CALLS, {"customer_id": customer.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_agent_id"
    assert received == []


def test_provider_settings_keep_secrets_encrypted_and_write_only(api_client, admin_staff, provider_stand_in):
    url, _received = provider_stand_in
    api_client.force_authenticate(admin_staff)

    response = api_client.patch(
        reverse("backoffice:voip-provider-detail", args=["voiso"]),
        {"url": url, "api_key": "the-key", "webhook_token": TOKEN, "is_active": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": response.json()["id"],
        "code": "voiso",
        "url": url,
        "is_active": True,
        "is_available": True,
        "has_api_key": True,
        "has_webhook_token": True,
    }
    voip = VoipProvider.objects.get(code="voiso")
    assert crypto.decrypt(voip.api_key_encrypted) == "the-key"
    current = api_client.get(reverse("backoffice:voip-provider-current")).json()
    assert (current["code"], current["is_available"]) == ("voiso", True)


def test_a_provider_is_not_activated_before_it_is_configured(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    response = api_client.patch(
        reverse("backoffice:voip-provider-detail", args=["coperato"]), {"is_active": True}, format="json"
    )

    assert response.status_code == 400
    assert "is_active" in response.json()["error"]["fields"]


def test_call_list_is_scoped_and_flat(api_client, sales_agent):
    own = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    services.start_call(agent=sales_agent, customer=own)
    other_agent_client = PortalCustomerFactory(phone="+447700900124")
    ProviderCall.objects.create(
        provider=services.active_provider(), customer=other_agent_client, phone="+1", external_id="other"
    )
    api_client.force_authenticate(sales_agent)

    response = api_client.get(CALLS)

    assert [row["customer_id"] for row in response.json()["results"]] == [own.pk]
    with CaptureQueriesContext(connection) as few:
        api_client.get(CALLS)
    for _ in range(5):
        services.start_call(agent=sales_agent, customer=own)
    with CaptureQueriesContext(connection) as many:
        api_client.get(CALLS)
    assert len(many) == len(few)


def test_admin_configures_a_provider_with_write_only_secrets(client, admin_staff, provider_stand_in):
    url, _received = provider_stand_in
    voip = services.provider("voiso")
    client.force_login(admin_staff)
    change = reverse("admin:communications_voipprovider_change", args=[voip.pk])

    response = client.post(change, {"url": url, "is_active": "on", "api_key": "admin-key", "webhook_token": TOKEN})

    assert response.status_code == 302
    voip.refresh_from_db()
    assert (voip.is_active, crypto.decrypt(voip.api_key_encrypted)) == (True, "admin-key")
    assert "admin-key" not in client.get(change).content.decode()


def test_call_changelists_are_flat(client, admin_staff):
    customer = PortalCustomerFactory(phone="+447700900123")
    services.start_call(agent=admin_staff, customer=customer)
    client.force_login(admin_staff)
    url = reverse("admin:communications_providercall_changelist")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    for _ in range(5):
        services.start_call(agent=admin_staff, customer=customer)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_two_voiso_calls_without_a_call_id_are_both_logged(client, sales_agent, provider_stand_in, committed):
    url, _received = provider_stand_in
    voiso(url, sales_agent)
    customer = PortalCustomerFactory(conversion_agent=sales_agent, phone="+447700900123")
    body = {"disposition": "no_answer", "duration": 0, "account_id": "1001"}

    for _ in range(2):
        ProviderCall.objects.filter(external_id="voiso-call-1").update(external_id="voiso-call-earlier")
        services.start_call(agent=sales_agent, customer=customer)
        with committed():
            assert hook(client, "voiso", body).json()["duplicate"] is False

    assert list(ProviderCall.objects.values_list("status", flat=True)) == ["no_answer", "no_answer"]
    assert Call.objects.filter(customer=customer, outcome="no_answer").count() == 2
