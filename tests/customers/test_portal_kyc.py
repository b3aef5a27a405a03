"""KYC in the portal (documents, status, provider session) and the SumSub webhook."""

import hashlib
import hmac
import json
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.core import http
from crm.customers import kyc_providers, services
from crm.customers.models import Customer, Document, KycWebhook
from tests.customers.factories import (
    PDF_BYTES,
    DocumentFactory,
    PortalCustomerFactory,
    VerificationLevelFactory,
    bearer,
)
from tests.customers.portal import url

pytestmark = pytest.mark.django_db
DOCUMENTS = url("document-list")
WEBHOOK = "/webhooks/sumsub/"
WEBHOOK_SECRET = "webhook-secret"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def sumsub(db):
    services.configure_sumsub(
        actor=None,
        api_url="https://api.sumsub.example",
        app_token="sbx:app",
        secret_key="api-secret",
        level_name="basic-kyc-level",
        webhook_secret_key=WEBHOOK_SECRET,
    )


def test_client_lists_and_reads_only_own_documents(api_client):
    customer = PortalCustomerFactory()
    own = DocumentFactory(customer=customer)
    other = DocumentFactory(customer=PortalCustomerFactory())
    bearer(api_client, customer)

    listed = api_client.get(DOCUMENTS)
    mine = api_client.get(url("document-detail", own.pk))
    theirs = api_client.get(url("document-detail", other.pk))

    assert [row["id"] for row in listed.json()["results"]] == [own.pk]
    assert mine.status_code == 200
    assert b"".join(api_client.get(mine.json()["url"]).streaming_content) == PDF_BYTES
    assert theirs.status_code == 404


def test_document_list_queries_do_not_grow_with_rows(api_client, django_assert_num_queries):
    customer = PortalCustomerFactory()
    DocumentFactory.create_batch(2, customer=customer)
    bearer(api_client, customer)
    api_client.get(DOCUMENTS)

    # user, client, COUNT, page
    with django_assert_num_queries(4):
        api_client.get(DOCUMENTS)
    DocumentFactory.create_batch(20, customer=customer)
    with django_assert_num_queries(4):
        api_client.get(DOCUMENTS)


def test_upload_stores_the_document_and_kyc_goes_pending(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    response = api_client.post(
        DOCUMENTS, {"document_type": "passport", "file": SimpleUploadedFile("p.pdf", PDF_BYTES)}, format="multipart"
    )

    assert response.status_code == 201
    document = Document.objects.get(customer=customer)
    assert document.uploaded_by == customer.user
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.PENDING


@pytest.mark.parametrize(
    ("name", "content", "document_type"),
    [("p.exe", PDF_BYTES, "passport"), ("p.pdf", b"MZ fake", "passport"), ("p.pdf", PDF_BYTES, "tax_return")],
)
def test_bad_uploads_are_refused(api_client, name, content, document_type):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    response = api_client.post(
        DOCUMENTS, {"document_type": document_type, "file": SimpleUploadedFile(name, content)}, format="multipart"
    )

    assert response.status_code == 400
    assert not Document.objects.exists()


def test_kyc_status_and_manual_start(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    status = api_client.get(url("kyc-status")).json()
    start = api_client.post(url("kyc-start")).json()

    assert status == {
        "status": "not_started",
        "verification_level": None,
        "provider": "manual",
        "sumsub_enabled": False,
    }
    assert start == {"provider": "manual", "token": None, "level_name": None}


def test_sumsub_start_gets_a_signed_access_token(api_client, sumsub):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    reply = http.HttpResponse(status=200, body=json.dumps({"token": "_act-123", "userId": "x"}).encode())

    with mock.patch("crm.customers.kyc_providers.http.send", return_value=reply) as send:
        response = api_client.post(url("kyc-start"))

    assert response.json() == {"provider": "sumsub", "token": "_act-123", "level_name": "basic-kyc-level"}
    method, address = send.call_args.args
    headers, body = send.call_args.kwargs["headers"], send.call_args.kwargs["body"]
    assert (method, address) == ("POST", "https://api.sumsub.example/resources/accessTokens/sdk")
    assert json.loads(body)["userId"] == f"customer-{customer.pk}"
    expected = hmac.new(
        b"api-secret",
        headers["X-App-Access-Ts"].encode() + b"POST/resources/accessTokens/sdk" + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-App-Access-Sig"] == expected
    assert headers["X-App-Token"] == "sbx:app"


def test_sumsub_refusal_answers_502(api_client, sumsub):
    bearer(api_client, PortalCustomerFactory())
    reply = http.HttpResponse(status=401, body=b'{"description": "bad token"}')

    with mock.patch("crm.customers.kyc_providers.http.send", return_value=reply):
        response = api_client.post(url("kyc-start"))

    assert (response.status_code, response.json()["error"]["code"]) == (502, "kyc_provider_error")


def test_sumsub_out_of_reach_answers_502_not_a_crash(api_client, sumsub):
    bearer(api_client, PortalCustomerFactory())

    with mock.patch("crm.customers.kyc_providers.http.send", side_effect=http.ProviderUnavailable("timed out")):
        response = api_client.post(url("kyc-start"))

    assert (response.status_code, response.json()["error"]["code"]) == (502, "kyc_provider_unavailable")


# Webhook -----------------------------------------------------------------------------------------


def _post_webhook(client, payload, *, secret=WEBHOOK_SECRET, digest=None):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if digest is None else digest
    return client.post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers={"X-Payload-Digest": signature, "X-Payload-Digest-Alg": "HMAC_SHA256_HEX"},
    )


def _reviewed(customer, answer, **extra):
    return {
        "type": "applicantReviewed",
        "applicantId": "app-1",
        "inspectionId": "insp-1",
        "externalUserId": f"customer-{customer.pk}",
        "reviewStatus": "completed",
        "reviewResult": {"reviewAnswer": answer, **extra},
    }


@pytest.mark.parametrize(
    ("secret", "digest", "_case"),
    [
        ("wrong-secret", None, "wrong secret"),
        (WEBHOOK_SECRET, "0" * 64, "made-up digest"),
        (WEBHOOK_SECRET, "", "none"),
    ],
)
def test_forged_webhooks_are_rejected_and_not_stored(client, sumsub, secret, digest, _case):
    customer = PortalCustomerFactory()

    response = _post_webhook(client, _reviewed(customer, "GREEN"), secret=secret, digest=digest)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not KycWebhook.objects.exists()
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.NOT_STARTED


def test_webhooks_are_refused_when_sumsub_is_not_configured(client):
    response = _post_webhook(client, {"type": "applicantPending"})

    assert response.status_code == 401
    assert not KycWebhook.objects.exists()


def test_green_review_stores_documents_approves_kyc_and_is_processed_once(
    client, sumsub, django_capture_on_commit_callbacks
):
    VerificationLevelFactory(name="Basic", rank=0, is_default=True, required_document_groups=[])
    verified = VerificationLevelFactory(name="Verified", rank=1, required_document_groups=["passport"])
    customer = PortalCustomerFactory()
    docs = {"IDENTITY": {"idDocType": "PASSPORT", "imageIds": [11], "reviewResult": {"reviewAnswer": "GREEN"}}}

    with (
        mock.patch.object(kyc_providers.SumsubClient, "required_documents", return_value=docs),
        mock.patch.object(kyc_providers.SumsubClient, "image", return_value=JPEG) as image,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = _post_webhook(client, _reviewed(customer, "GREEN"))
        again = _post_webhook(client, _reviewed(customer, "GREEN"))

    assert first.json() == {"success": True, "duplicate": False}
    assert again.json() == {"success": True, "duplicate": True}
    assert image.call_count == 1
    webhook = KycWebhook.objects.get()
    assert webhook.processed_at is not None
    document = Document.objects.get(customer=customer)
    assert (document.document_type, document.status, document.provider_reference) == (
        "passport",
        "approved",
        "sumsub:11",
    )
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.APPROVED
    assert customer.verification_level == verified


def test_red_review_rejects_kyc_with_the_reason(sumsub):
    customer = PortalCustomerFactory(kyc_status=Customer.KycStatus.PENDING)
    payload = _reviewed(customer, "RED", rejectLabels=["FORGERY"], reviewRejectType="FINAL")
    webhook = KycWebhook.objects.create(provider="sumsub", digest="d1", body=json.dumps(payload))

    with mock.patch.object(kyc_providers.SumsubClient, "required_documents", return_value={}):
        services.process_kyc_webhook(webhook.pk)
        services.process_kyc_webhook(webhook.pk)

    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.REJECTED


def test_pending_and_unknown_clients(sumsub):
    customer = PortalCustomerFactory()
    pending = KycWebhook.objects.create(
        provider="sumsub",
        digest="d1",
        body=json.dumps({"type": "applicantPending", "externalUserId": f"customer-{customer.pk}"}),
    )
    unknown = KycWebhook.objects.create(
        provider="sumsub", digest="d2", body=json.dumps({"type": "applicantPending", "externalUserId": "customer-0"})
    )

    services.process_kyc_webhook(pending.pk)
    services.process_kyc_webhook(unknown.pk)

    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.PENDING
    unknown.refresh_from_db()
    assert (unknown.processed_at is not None, unknown.error) == (True, "Unknown client.")


def test_a_provider_error_leaves_the_webhook_for_staff(sumsub):
    customer = PortalCustomerFactory()
    webhook = KycWebhook.objects.create(provider="sumsub", digest="d1", body=json.dumps(_reviewed(customer, "GREEN")))
    reply = http.HttpResponse(status=404, body=b"{}")

    with mock.patch("crm.customers.kyc_providers.http.send", return_value=reply):
        services.process_kyc_webhook(webhook.pk)

    webhook.refresh_from_db()
    assert webhook.processed_at is None
    assert "404" in webhook.error


def test_process_task_retries_when_sumsub_is_down(sumsub):
    from crm.customers.tasks import process_kyc_webhook_task

    customer = PortalCustomerFactory()
    webhook = KycWebhook.objects.create(provider="sumsub", digest="d1", body=json.dumps(_reviewed(customer, "GREEN")))

    with (
        mock.patch("crm.customers.kyc_providers.http.send", side_effect=http.ProviderUnavailable("down")),
        pytest.raises(Retry),
    ):
        process_kyc_webhook_task.apply(args=[webhook.pk], throw=True)

    webhook.refresh_from_db()
    assert webhook.processed_at is None


def test_sumsub_secrets_are_encrypted_and_never_returned(api_client, admin_staff, sumsub):
    from crm.core.models import Setting

    api_client.force_authenticate(admin_staff)

    shown = api_client.get("/api/v1/backoffice/provider-settings/sumsub/").json()

    assert shown == {
        "enabled": True,
        "api_url": "https://api.sumsub.example",
        "level_name": "basic-kyc-level",
        "app_token_set": True,
        "secret_key_set": True,
        "webhook_secret_key_set": True,
    }
    stored = Setting.objects.get(key="sumsub.secret_key")
    assert stored.is_secret
    assert "api-secret" not in stored.stored_value


def test_a_kyc_webhook_whose_task_was_lost_is_processed_by_the_sweep_and_a_delivery_again_queues_it(
    client, sumsub, django_capture_on_commit_callbacks
):
    from crm.core import work
    from crm.customers.work import KYC_WEBHOOKS

    pending, lost = PortalCustomerFactory(), PortalCustomerFactory()
    _post_webhook(client, {"type": "applicantPending", "externalUserId": f"customer-{pending.pk}"})
    _post_webhook(client, {"type": "applicantPending", "externalUserId": f"customer-{lost.pk}"})  # messages lost
    second = KycWebhook.objects.order_by("pk").last()

    with django_capture_on_commit_callbacks(execute=True):
        again = _post_webhook(client, {"type": "applicantPending", "externalUserId": f"customer-{pending.pk}"})
    not_due = work.sweep(KYC_WEBHOOKS)
    KycWebhook.objects.filter(pk=second.pk).update(next_attempt_at=None)  # its first wait is over
    with django_capture_on_commit_callbacks(execute=True):
        swept = work.sweep(KYC_WEBHOOKS)

    assert again.json() == {"success": True, "duplicate": True}
    assert (not_due, swept) == (0, 1)
    assert {(w.processed_at is not None, w.attempts) for w in KycWebhook.objects.all()} == {(True, 1)}
    assert {c.kyc_status for c in Customer.objects.filter(pk__in=[pending.pk, lost.pk])} == {"pending"}
