"""Every 403 of a money gate in the portal API says what the client must do: a stable code, a message, the missing
items and the next step."""

import pytest
from django.urls import reverse

from crm.customers.models import Document
from tests.customers.factories import DocumentFactory, VerificationLevelFactory
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import fund, state

pytestmark = pytest.mark.django_db
DEPOSITS = reverse("portal:deposit-list")
WITHDRAWALS = reverse("portal:withdrawal-list")
TRANSFERS = reverse("portal:transfer-list")


@pytest.fixture
def levels(db):
    basic = VerificationLevelFactory(
        name="Level 0", rank=0, is_default=True, required_document_groups=[], allowed_operations=["deposit"]
    )
    VerificationLevelFactory(
        name="Level 1",
        rank=1,
        required_document_groups=[["passport", "id_card"], ["selfie"]],
        allowed_operations=["deposit", "withdraw", "transfer"],
    )
    return basic


def withdraw(portal_client, wallet, amount="30"):
    method = PaymentMethodFactory(direction="withdrawal")
    return portal_client.post(WITHDRAWALS, {"method": method.pk, "wallet": wallet.pk, "amount": amount})


def test_withdrawal_refused_by_the_level_names_the_level_and_the_documents(portal_client, customer, levels):
    wallet = fund(WalletFactory(customer=customer), "100")
    before = state(wallet)

    response = withdraw(portal_client, wallet)

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "verification_required",
        "message": "Withdrawals need Level 1. Upload for review: Passport or ID card; Selfie.",
        "fields": {
            "required_level": ["Level 1"],
            "missing_documents": ["passport|id_card", "selfie"],
            "documents_in_review": [],
            "next_step": ["upload_documents"],
        },
    }
    assert state(wallet) == before


def test_documents_in_review_are_named_and_the_next_step_follows_them(portal_client, customer, levels):
    wallet = fund(WalletFactory(customer=customer), "100")
    DocumentFactory(customer=customer, document_type="id_card")
    DocumentFactory(customer=customer, document_type="selfie", status=Document.Status.APPROVED)

    error = withdraw(portal_client, wallet).json()["error"]

    assert error["message"] == "Withdrawals need Level 1. Being reviewed: Passport or ID card."
    assert error["fields"]["missing_documents"] == ["passport|id_card"]
    assert error["fields"]["documents_in_review"] == ["id_card"]
    assert error["fields"]["next_step"] == ["wait_for_review"]


def test_approved_documents_waiting_for_the_kyc_decision_say_so(portal_client, customer, levels):
    wallet = fund(WalletFactory(customer=customer), "100")
    DocumentFactory(customer=customer, document_type="passport", status=Document.Status.APPROVED)
    DocumentFactory(customer=customer, document_type="selfie", status=Document.Status.APPROVED)

    error = withdraw(portal_client, wallet).json()["error"]

    assert error["message"] == (
        "Withdrawals need Level 1. Your documents are approved; compliance will complete your KYC review."
    )
    assert error["fields"]["next_step"] == ["wait_for_review"]


def test_an_operation_no_level_allows_sends_the_client_to_support(portal_client, customer):
    VerificationLevelFactory(name="Only", rank=0, is_default=True, allowed_operations=[])
    wallet = WalletFactory(customer=customer)

    response = portal_client.post(DEPOSITS, {"method": PaymentMethodFactory().pk, "wallet": wallet.pk, "amount": "50"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_required"
    assert response.json()["error"]["fields"] == {"next_step": ["contact_support"]}


@pytest.mark.parametrize(
    ("wallet_values", "code", "next_step", "_case"),
    [
        ({"is_enabled": False}, "wallet_disabled", "contact_support", "disabled wallet"),
        ({"can_withdraw": False}, "wallet_operation_off", "contact_support", "withdrawals off"),
    ],
)
def test_wallet_refusals_name_the_wallet_and_what_to_do(
    portal_client, customer, wallet_values, code, next_step, _case
):
    wallet = fund(WalletFactory(customer=customer, **wallet_values), "100")

    response = withdraw(portal_client, wallet)

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == code
    assert error["fields"] == {"wallet": [wallet.number], "next_step": [next_step]}
    assert "contact support" in error["message"]


def test_transfer_refused_by_the_level_names_what_is_missing(portal_client, customer, levels):
    source = fund(WalletFactory(customer=customer), "100")
    target = WalletFactory(customer=customer)

    response = portal_client.post(TRANSFERS, {"source_wallet": source.pk, "target_wallet": target.pk, "amount": "5"})

    assert response.status_code == 403
    assert response.json()["error"]["fields"]["required_level"] == ["Level 1"]
