"""Verification levels whose documents can be "one of", and KYC approval that moves the level or says what is
missing: through the admin (approve a document, then Approve KYC) and against the demo data."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from crm.core.models import OutboxEvent
from crm.customers import services
from crm.customers.exceptions import KycIncomplete
from crm.customers.models import Customer, Document, VerificationLevel
from tests.customers.factories import CustomerFactory, DocumentFactory, VerificationLevelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def levels(db):
    """Basic (default) -> Identity (passport or ID card) -> Address (that, and proof of address)."""
    basic = VerificationLevelFactory(name="Basic", rank=0, is_default=True, required_document_groups=[])
    identity = VerificationLevelFactory(
        name="Identity", rank=1, required_document_groups=[["passport", "id_card"]], allowed_operations=["withdraw"]
    )
    address = VerificationLevelFactory(
        name="Address", rank=2, required_document_groups=[["passport", "id_card"], ["proof_of_address"]]
    )
    return basic, identity, address


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_any_one_document_of_a_group_meets_it(levels):
    _basic, identity, _address = levels
    customer = CustomerFactory()
    DocumentFactory(customer=customer, document_type="id_card", status=Document.Status.APPROVED)

    assert services.level_earned(customer) == identity


def test_a_plain_type_is_a_group_of_one(levels):
    level = VerificationLevelFactory(name="Old style", rank=5, required_document_groups=["selfie", "passport"])

    assert level.document_groups() == [["selfie"], ["passport"]]


@pytest.mark.parametrize(
    ("groups", "_case"),
    [
        ([["passport", "tax_return"]], "unknown type"),
        ([[]], "empty group"),
        ("passport", "not a list"),
        ([1], "not a type"),
    ],
)
def test_malformed_document_groups_are_refused(groups, _case):
    level = VerificationLevel(name="X", required_document_groups=groups)

    with pytest.raises(ValidationError) as error:
        level.full_clean()

    assert "required_document_groups" in error.value.message_dict


def test_admin_approve_document_then_approve_kyc_moves_the_level(client, compliance_officer, levels):
    basic, identity, _address = levels
    customer = CustomerFactory(kyc_status="pending", verification_level=basic)
    passport = DocumentFactory(customer=customer, document_type="passport")
    client.force_login(compliance_officer)

    client.post(reverse("admin:customers_document_approve_document", args=[passport.pk]), {"_form_submitted": "True"})
    response = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )

    customer.refresh_from_db()
    assert (customer.kyc_status, customer.verification_level) == ("approved", identity)
    assert "KYC approved: Identity." in messages_of(response)
    assert OutboxEvent.objects.get(name="kyc.approved").payload["verification_level_id"] == identity.pk


def test_admin_approve_kyc_without_the_documents_says_what_is_missing_and_changes_nothing(
    client, compliance_officer, levels
):
    basic, _identity, _address = levels
    customer = CustomerFactory(kyc_status="pending", verification_level=basic)
    DocumentFactory(customer=customer, document_type="passport")  # uploaded, not reviewed
    client.force_login(compliance_officer)

    response = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )

    assert messages_of(response) == ["Identity needs these documents approved first: Passport or ID card."]
    customer.refresh_from_db()
    assert (customer.kyc_status, customer.verification_level) == ("pending", basic)
    assert not OutboxEvent.objects.filter(name="kyc.approved").exists()


def test_approval_to_a_named_level_needs_its_documents(compliance_officer, levels):
    basic, _identity, address = levels
    customer = CustomerFactory(kyc_status="pending", verification_level=basic)
    DocumentFactory(customer=customer, document_type="id_card", status=Document.Status.APPROVED)

    with pytest.raises(KycIncomplete) as error:
        services.approve_kyc(customer, actor=compliance_officer, level=address)

    assert error.value.code == "kyc_documents_missing"
    assert error.value.fields == {"required_level": ["Address"], "missing_documents": ["proof_of_address"]}


def test_approval_moves_an_approved_client_up_when_new_documents_earn_more(compliance_officer, levels):
    _basic, identity, address = levels
    customer = CustomerFactory(kyc_status="approved", verification_level=identity)
    DocumentFactory(customer=customer, document_type="passport", status=Document.Status.APPROVED)
    DocumentFactory(customer=customer, document_type="proof_of_address", status=Document.Status.APPROVED)

    services.approve_kyc(customer, actor=compliance_officer)

    customer.refresh_from_db()
    assert customer.verification_level == address


def test_back_office_api_approval_answers_what_is_missing(api_client, compliance_officer, levels):
    basic, _identity, _address = levels
    customer = CustomerFactory(kyc_status="pending", verification_level=basic)
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(reverse("backoffice:customer-kyc-approve", args=[customer.pk]), {})

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "kyc_documents_missing",
        "message": "Identity needs these documents approved first: Passport or ID card.",
        "fields": {"required_level": ["Identity"], "missing_documents": ["passport|id_card"]},
    }


def test_demo_data_passport_then_approve_kyc_reaches_level_1(client):
    call_command("seed_demo", clients=40, stdout=StringIO())
    level_0, level_1 = VerificationLevel.objects.get(name="Level 0"), VerificationLevel.objects.get(name="Level 1")
    customer = Customer.objects.filter(verification_level=level_0).exclude(kyc_status="approved").first()
    customer.documents.all().delete()
    passport = DocumentFactory(customer=customer, document_type="passport")
    client.login(email="compliance1@demo.local", password="demo-backoffice-2024")

    refused = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )
    client.post(reverse("admin:customers_document_approve_document", args=[passport.pk]), {"_form_submitted": "True"})
    approved = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )

    assert messages_of(refused) == ["Level 1 needs these documents approved first: Passport or ID card."]
    assert messages_of(approved)[-1] == "KYC approved: Level 1."
    customer.refresh_from_db()
    assert (customer.kyc_status, customer.verification_level) == ("approved", level_1)
