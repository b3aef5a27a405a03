"""Rules of the client services (crm/customers/services/), one test per behaviour."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.core.exceptions import DomainError
from crm.core.models import Activity, OutboxEvent
from crm.customers import services
from crm.customers.models import Customer, Document
from crm.users.models import User
from tests.customers.factories import (
    PDF_BYTES,
    ClientTypeFactory,
    CustomerFactory,
    DocumentFactory,
    SalesStatusFactory,
    VerificationLevelFactory,
)
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def new_client(**values):
    return {"first_name": "Jane", "email": "jane@example.com", "country": "GB", "currency": "USD", **values}


# Create ---------------------------------------------------------------------------------


def test_create_gives_default_type_and_level_and_logs_it(sales_manager):
    client_type = ClientTypeFactory()
    level = VerificationLevelFactory(name="Basic", is_default=True)

    customer = services.create_customer(actor=sales_manager, **new_client(email=" Jane@Example.COM "))

    assert customer.email == "jane@example.com"
    assert (customer.client_type, customer.verification_level) == (client_type, level)
    assert Activity.objects.get(action="customer.created").actor == sales_manager
    assert OutboxEvent.objects.get(name="customer.created").payload == {"customer_id": customer.pk}


def test_create_refuses_an_email_taken_in_another_case(sales_manager):
    CustomerFactory(email="jane@example.com")

    with pytest.raises(services.EmailTaken) as error:
        services.create_customer(actor=sales_manager, **new_client(email="JANE@example.com"))

    assert error.value.status_code == 409
    assert Customer.objects.count() == 1


def test_create_refuses_unknown_fields(sales_manager):
    with pytest.raises(DomainError) as error:
        services.create_customer(actor=sales_manager, **new_client(deposit_count=5))

    assert error.value.code == "unknown_fields"
    assert not Customer.objects.exists()


def test_agent_creating_a_client_becomes_its_conversion_agent(sales_agent):
    customer = services.create_customer(actor=sales_agent, **new_client())

    assert customer.conversion_agent == sales_agent
    assert Customer.objects.visible_to(sales_agent).filter(pk=customer.pk).exists()


def test_manager_creating_a_client_leaves_it_unassigned(sales_manager):
    customer = services.create_customer(actor=sales_manager, **new_client())

    assert customer.conversion_agent is None


def test_agent_naming_another_agent_is_not_overridden(sales_agent, other_sales_agent):
    # An agent's role may not name agents (field rights); a rule of ours acting for the agent may.
    customer = services.create_customer(
        actor=sales_agent, check_rights=False, **new_client(retention_agent=other_sales_agent)
    )

    assert (customer.conversion_agent, customer.retention_agent) == (None, other_sales_agent)


def test_create_refuses_a_non_staff_agent(sales_manager):
    portal_user = User.objects.create_user(email="client@example.com")

    with pytest.raises(DomainError) as error:
        services.create_customer(actor=sales_manager, **new_client(conversion_agent=portal_user))

    assert error.value.code == "invalid_agent"
    assert not Customer.objects.exists()


# Update ---------------------------------------------------------------------------------


def test_update_logs_only_changed_fields_with_old_and_new_values(sales_manager):
    customer = CustomerFactory(first_name="Jane", city="Leeds", currency="USD")

    services.update_customer(customer, actor=sales_manager, first_name="Janet", city="Leeds", roles=["trader"])

    activity = Activity.objects.get(action="customer.updated")
    trader_pk = customer.roles.get().pk
    assert activity.changes == {"first_name": ["Jane", "Janet"], "roles": [[], [str(trader_pk)]]}
    assert OutboxEvent.objects.get(name="customer.updated").payload == {
        "customer_id": customer.pk,
        "fields": ["first_name", "roles"],
    }


def test_update_without_changes_logs_nothing(sales_manager):
    customer = CustomerFactory(city="Leeds")

    services.update_customer(customer, actor=sales_manager, city="Leeds")

    assert not Activity.objects.exists()
    assert not OutboxEvent.objects.filter(name="customer.updated").exists()


def test_update_keeps_own_email_in_another_case(sales_manager):
    customer = CustomerFactory(email="jane@example.com")

    services.update_customer(customer, actor=sales_manager, email="JANE@example.com")

    customer.refresh_from_db()
    assert customer.email == "jane@example.com"


def test_update_refuses_a_referral_loop(admin_staff):
    top = CustomerFactory()
    middle = CustomerFactory(introducer=top)
    bottom = CustomerFactory(introducer=middle)

    with pytest.raises(DomainError) as error:
        services.update_customer(top, actor=admin_staff, introducer=bottom)

    assert error.value.code == "introducer_cycle"
    top.refresh_from_db()
    assert top.introducer is None


def test_update_creates_new_group_names(sales_manager):
    customer = CustomerFactory()

    services.update_customer(customer, actor=sales_manager, groups=["VIP", "Islamic"])

    assert sorted(customer.groups.values_list("name", flat=True)) == ["Islamic", "VIP"]


# Bulk update ----------------------------------------------------------------------------


def test_bulk_update_rolls_back_every_row_on_a_domain_error(sales_manager):
    CustomerFactory(email="taken@example.com")
    first, second = CustomerFactory.create_batch(2, city="Leeds")

    with pytest.raises(services.EmailTaken) as error:
        services.bulk_update_customers(
            [(first, {"city": "York"}), (second, {"email": "taken@example.com"})], actor=sales_manager
        )

    assert error.value.fields == {"1.email": ["Already registered."]}
    first.refresh_from_db()
    assert first.city == "Leeds"
    assert not Activity.objects.exists()


def test_bulk_update_names_the_row_of_a_model_validation_error(admin_staff):
    first, second = CustomerFactory.create_batch(2)

    with pytest.raises(DomainError) as error:
        services.bulk_update_customers(
            [(first, {"city": "York"}), (second, {"risk_status": "extreme"})], actor=admin_staff
        )

    assert error.value.code == "validation_error"
    assert list(error.value.fields) == ["1.risk_status"]
    first.refresh_from_db()
    assert first.city != "York"


def test_bulk_update_counts_rows(sales_manager):
    customers = CustomerFactory.create_batch(3)

    count = services.bulk_update_customers([(c, {"currency": "EUR"}) for c in customers], actor=sales_manager)

    assert count == 3
    assert set(Customer.objects.values_list("currency", flat=True)) == {"EUR"}


# Agents, status, sales status -----------------------------------------------------------


def test_assign_agents_counts_only_clients_that_changed(sales_manager, sales_agent):
    already = CustomerFactory(conversion_agent=sales_agent)
    fresh = CustomerFactory()

    changed = services.assign_agents([already, fresh], actor=sales_manager, conversion_agent=sales_agent)

    assert changed == 1
    assert Activity.objects.filter(action="customer.agent_assigned").count() == 1
    assert OutboxEvent.objects.get(name="customer.agent_assigned").payload == {
        "customer_id": fresh.pk,
        "conversion_agent_id": sales_agent.pk,
    }


def test_assign_agents_needs_an_agent(sales_manager):
    with pytest.raises(DomainError) as error:
        services.assign_agents([CustomerFactory()], actor=sales_manager)

    assert error.value.code == "no_agent"


def test_assign_agents_refuses_an_inactive_agent(sales_manager):
    customer = CustomerFactory()
    gone = StaffUserFactory(is_active=False)

    with pytest.raises(DomainError):
        services.assign_agents([customer], actor=sales_manager, retention_agent=gone)

    customer.refresh_from_db()
    assert customer.retention_agent is None


def test_change_status_skips_clients_already_in_it(compliance_officer):
    banned = CustomerFactory(status=Customer.Status.BANNED)
    active = CustomerFactory()

    changed = services.change_status([banned, active], status="banned", actor=compliance_officer)

    assert changed == 1
    assert Activity.objects.get(action="customer.status_changed").target_id == str(active.pk)


def test_change_status_refuses_an_unknown_status(compliance_officer):
    customer = CustomerFactory()

    with pytest.raises(DomainError) as error:
        services.change_status([customer], status="frozen", actor=compliance_officer)

    assert error.value.code == "invalid_status"


def test_set_sales_status_logs_old_and_new(sales_manager):
    status = SalesStatusFactory()
    customer = CustomerFactory()

    changed = services.set_sales_status([customer], sales_status=status, actor=sales_manager)

    assert changed == 1
    assert Activity.objects.get().changes == {"sales_status": [None, status.pk]}


# KYC ------------------------------------------------------------------------------------


@pytest.fixture
def levels(db):
    basic = VerificationLevelFactory(name="Basic", rank=0, is_default=True, required_document_groups=[])
    address = VerificationLevelFactory(name="Address", rank=1, required_document_groups=["passport"])
    full = VerificationLevelFactory(name="Full", rank=2, required_document_groups=["passport", "proof_of_address"])
    return basic, address, full


def test_level_earned_is_the_highest_with_all_documents_approved(levels):
    _basic, address, _full = levels
    customer = CustomerFactory()
    DocumentFactory(customer=customer, document_type="passport", status=Document.Status.APPROVED)
    DocumentFactory(customer=customer, document_type="proof_of_address", status=Document.Status.NEW)

    assert services.level_earned(customer) == address


def test_approving_approved_kyc_again_changes_nothing(compliance_officer, levels):
    _basic, address, _full = levels
    customer = CustomerFactory(kyc_status=Customer.KycStatus.APPROVED, verification_level=address)

    services.approve_kyc(customer, actor=compliance_officer)

    assert not Activity.objects.exists()
    assert not OutboxEvent.objects.filter(name="kyc.approved").exists()


def test_revoking_kyc_that_is_not_approved_is_refused(compliance_officer):
    customer = CustomerFactory(kyc_status=Customer.KycStatus.PENDING)

    with pytest.raises(DomainError) as error:
        services.revoke_kyc(customer, actor=compliance_officer, reason="x")

    assert error.value.code == "kyc_not_approved"


def test_reset_with_new_documents_waiting_goes_to_pending(compliance_officer, levels):
    basic, _address, full = levels
    customer = CustomerFactory(kyc_status=Customer.KycStatus.APPROVED, verification_level=full)
    DocumentFactory(customer=customer, status=Document.Status.NEW)

    customer = services.reset_kyc(customer, actor=compliance_officer)

    assert (customer.kyc_status, customer.verification_level) == (Customer.KycStatus.PENDING, basic)


# Documents ------------------------------------------------------------------------------


def test_upload_refuses_an_unknown_document_type(compliance_officer):
    customer = CustomerFactory()

    with pytest.raises(DomainError) as error:
        services.upload_document(
            customer,
            file=SimpleUploadedFile("a.pdf", PDF_BYTES),
            document_type="tax_return",
            actor=compliance_officer,
        )

    assert error.value.code == "invalid_document_type"
    assert not Document.objects.exists()


def test_upload_after_rejection_moves_kyc_back_to_pending(compliance_officer):
    customer = CustomerFactory(kyc_status=Customer.KycStatus.REJECTED)

    document = services.upload_document(
        customer, file=SimpleUploadedFile("a.pdf", PDF_BYTES), document_type="passport", actor=compliance_officer
    )

    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.PENDING
    assert document.file.name.startswith(f"kyc/{customer.pk}/")
    assert document.file.name.endswith(".pdf")


def test_upload_keeps_approved_kyc_approved(compliance_officer):
    customer = CustomerFactory(kyc_status=Customer.KycStatus.APPROVED)

    services.upload_document(
        customer, file=SimpleUploadedFile("a.pdf", PDF_BYTES), document_type="selfie", actor=compliance_officer
    )

    customer.refresh_from_db()
    assert customer.kyc_status == Customer.KycStatus.APPROVED


def test_a_reviewed_document_cannot_be_reviewed_again(compliance_officer):
    document = DocumentFactory(status=Document.Status.APPROVED)

    with pytest.raises(DomainError) as error:
        services.review_document(document, approve=False, reason="Blurry", actor=compliance_officer)

    assert error.value.code == "document_already_reviewed"
    document.refresh_from_db()
    assert document.status == Document.Status.APPROVED


def test_rejecting_without_a_reason_is_refused(compliance_officer):
    document = DocumentFactory()

    with pytest.raises(DomainError) as error:
        services.review_document(document, approve=False, reason="   ", actor=compliance_officer)

    assert error.value.code == "reason_required"


# Comments and bookmarks -----------------------------------------------------------------


def test_comment_stamps_the_last_comment_time(sales_agent):
    customer = CustomerFactory()

    comment = services.add_comment(customer, body="  Call back  ", actor=sales_agent)

    customer.refresh_from_db()
    assert comment.body == "Call back"
    assert customer.last_comment_at == comment.created_at


def test_empty_comment_is_refused(sales_agent):
    with pytest.raises(DomainError) as error:
        services.add_comment(CustomerFactory(), body=" ", actor=sales_agent)

    assert error.value.fields == {"body": ["Required."]}


def test_bookmarking_twice_keeps_one_bookmark(sales_agent):
    customer = CustomerFactory()

    services.bookmark_customer(customer, user=sales_agent)
    services.bookmark_customer(customer, user=sales_agent)

    assert list(customer.bookmarks.values_list("user", flat=True)) == [sales_agent.pk]


def test_removing_a_missing_bookmark_changes_nothing(sales_agent, sales_manager):
    customer = CustomerFactory()
    services.bookmark_customer(customer, user=sales_manager)

    services.remove_bookmark(customer, user=sales_agent)

    assert list(customer.bookmarks.values_list("user", flat=True)) == [sales_manager.pk]


def test_update_refuses_a_field_the_role_may_not_change_and_changes_nothing(sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, city="Leeds")

    with pytest.raises(DomainError) as error:
        services.update_customer(customer, actor=sales_agent, city="York", risk_status="high")

    assert (error.value.code, error.value.status_code, list(error.value.fields)) == (
        "field_not_permitted",
        403,
        ["risk_status"],
    )
    customer.refresh_from_db()
    assert (customer.city, customer.risk_status) == ("Leeds", "low")
