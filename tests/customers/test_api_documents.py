"""KYC through the back-office API: documents (list, upload, review) and approve / revoke / reset."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.models import Activity, OutboxEvent
from crm.customers.models import Customer, Document
from crm.customers.services import kyc as kyc_services
from tests.customers.factories import PDF_BYTES, CustomerFactory, DocumentFactory, VerificationLevelFactory

pytestmark = pytest.mark.django_db
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(name, customer, *extra):
    return reverse(f"backoffice:customer-{name}", args=[customer.pk, *extra])


@pytest.fixture
def levels(db):
    basic = VerificationLevelFactory(name="Basic", rank=0, is_default=True, required_document_groups=[])
    verified = VerificationLevelFactory(
        name="Verified", rank=1, required_document_groups=["passport"], allowed_operations=["deposit", "withdraw"]
    )
    return basic, verified


# Documents ------------------------------------------------------------------------------


def test_documents_list_gives_a_signed_link_per_document(api_client, compliance_officer):
    customer = CustomerFactory()
    older, newer = DocumentFactory.create_batch(2, customer=customer)
    DocumentFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.get(url("documents", customer))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    assert rows[0]["url"].startswith("http://testserver/files/")
    assert newer.file.name not in rows[0]["url"]
    download = api_client.get(rows[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_documents_list_queries_do_not_grow_with_rows(api_client, compliance_officer, django_assert_num_queries):
    customer = CustomerFactory()
    DocumentFactory.create_batch(2, customer=customer)
    api_client.force_authenticate(compliance_officer)
    api_client.get(url("documents", customer))  # warms the permission cache

    # client, COUNT, page
    with django_assert_num_queries(3):
        api_client.get(url("documents", customer))
    DocumentFactory.create_batch(30, customer=customer)
    with django_assert_num_queries(3):
        response = api_client.get(url("documents", customer), {"limit": 100})
    assert response.json()["count"] == 32


def test_upload_stores_the_document_and_moves_kyc_to_pending(api_client, compliance_officer):
    customer = CustomerFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(
        url("documents", customer),
        {"file": SimpleUploadedFile("My Passport.pdf", PDF_BYTES, "application/pdf"), "document_type": "passport"},
        format="multipart",
    )

    assert response.status_code == 201
    document = Document.objects.get()
    assert response.json()["id"] == document.pk
    assert (document.original_name, document.size, document.uploaded_by) == (
        "My Passport.pdf",
        len(PDF_BYTES),
        compliance_officer,
    )
    assert "Passport" not in document.file.name
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.PENDING
    assert OutboxEvent.objects.filter(name="document.uploaded").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("virus.exe", b"MZ\x90\x00", "invalid_file_type"),
        ("renamed.pdf", b"MZ\x90\x00 not a pdf", "invalid_file_content"),
        ("picture.png", PDF_BYTES, "invalid_file_content"),
    ],
    ids=["wrong-type", "renamed-executable", "pdf-named-png"],
)
def test_upload_refuses_wrong_files(api_client, compliance_officer, name, content, code):
    customer = CustomerFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(
        url("documents", customer),
        {"file": SimpleUploadedFile(name, content), "document_type": "passport"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not Document.objects.exists()
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.NOT_STARTED


def test_upload_refuses_an_oversized_file(api_client, compliance_officer, monkeypatch):
    monkeypatch.setattr(kyc_services, "MAX_DOCUMENT_SIZE", len(PNG_BYTES) - 1)
    customer = CustomerFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(
        url("documents", customer),
        {"file": SimpleUploadedFile("scan.png", PNG_BYTES), "document_type": "selfie"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"
    assert not Document.objects.exists()


def test_review_approves_a_document(api_client, compliance_officer):
    document = DocumentFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("documents-review", document.customer, document.pk), {"decision": "approve"})

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    document.refresh_from_db()
    assert (document.status, document.reviewed_by) == (Document.Status.APPROVED, compliance_officer)


def test_rejection_needs_a_reason(api_client, compliance_officer):
    document = DocumentFactory()
    api_client.force_authenticate(compliance_officer)

    refused = api_client.post(url("documents-review", document.customer, document.pk), {"decision": "reject"})
    rejected = api_client.post(
        url("documents-review", document.customer, document.pk), {"decision": "reject", "reason": "Blurry photo"}
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "reason_required"
    assert rejected.status_code == 200
    assert rejected.json()["rejection_reason"] == "Blurry photo"


def test_another_clients_document_answers_404(api_client, compliance_officer):
    customer = CustomerFactory()
    foreign = DocumentFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("documents-review", customer, foreign.pk), {"decision": "approve"})

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Document.Status.NEW


def test_signed_link_is_refused_to_another_user(api_client, compliance_officer, finance_officer):
    document = DocumentFactory()
    api_client.force_authenticate(compliance_officer)
    link = api_client.get(url("documents", document.customer)).json()["results"][0]["url"]

    api_client.force_authenticate(finance_officer)
    response = api_client.get(link)

    assert response.status_code in (403, 404)


# KYC ------------------------------------------------------------------------------------


def test_kyc_approve_sets_status_level_reviewer_and_history(api_client, compliance_officer, levels):
    basic, verified = levels
    customer = CustomerFactory(kyc_status=Customer.KycStatus.PENDING, verification_level=basic)
    DocumentFactory(customer=customer, document_type="passport", status=Document.Status.APPROVED)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-approve", customer))

    assert response.status_code == 200
    data = response.json()
    assert data["kyc_status"] == "approved"
    assert data["verification_level"] == {"id": verified.pk, "name": "Verified"}
    assert data["kyc_reviewed_by"]["id"] == compliance_officer.pk
    history = api_client.get(url("history", customer)).json()["results"]
    assert history[0]["action"] == "kyc.approved"
    assert history[0]["changes"] == {
        "kyc_status": ["pending", "approved"],
        "verification_level": [basic.pk, verified.pk],
    }
    assert OutboxEvent.objects.filter(name="kyc.approved").count() == 1


def test_kyc_approve_to_a_named_level(api_client, compliance_officer, levels):
    _basic, verified = levels
    customer = CustomerFactory(kyc_status=Customer.KycStatus.PENDING)
    DocumentFactory(customer=customer, document_type="passport", status=Document.Status.APPROVED)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-approve", customer), {"verification_level_id": verified.pk})

    assert response.json()["verification_level"]["id"] == verified.pk


def test_kyc_revoke_drops_to_the_default_level_with_reason(api_client, compliance_officer, levels):
    basic, verified = levels
    customer = CustomerFactory(kyc_status=Customer.KycStatus.APPROVED, verification_level=verified)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-revoke", customer), {"reason": "Forged passport"})

    assert response.status_code == 200
    assert response.json()["kyc_status"] == "revoked"
    assert response.json()["verification_level"]["id"] == basic.pk
    activity = Activity.objects.get(action="kyc.revoked")
    assert activity.changes == {"kyc_status": ["approved", "revoked"], "verification_level": [verified.pk, basic.pk]}
    assert activity.data == {"reason": "Forged passport"}


def test_kyc_revoke_needs_a_reason(api_client, compliance_officer, levels):
    customer = CustomerFactory(kyc_status=Customer.KycStatus.APPROVED)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-revoke", customer), {})

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.APPROVED


def test_kyc_revoke_of_unapproved_client_is_refused(api_client, compliance_officer):
    customer = CustomerFactory(kyc_status=Customer.KycStatus.PENDING)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-revoke", customer), {"reason": "x"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "kyc_not_approved"
    assert not Activity.objects.filter(action="kyc.revoked").exists()


def test_kyc_reset_starts_over(api_client, compliance_officer, levels):
    basic, verified = levels
    customer = CustomerFactory(
        kyc_status=Customer.KycStatus.APPROVED, verification_level=verified, kyc_reviewed_by=compliance_officer
    )
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("kyc-reset", customer))

    assert response.status_code == 200
    data = response.json()
    assert (data["kyc_status"], data["verification_level"]["id"], data["kyc_reviewed_by"]) == (
        "not_started",
        basic.pk,
        None,
    )
    assert Activity.objects.get(action="kyc.reset").changes == {
        "kyc_status": ["approved", "not_started"],
        "verification_level": [verified.pk, basic.pk],
    }
