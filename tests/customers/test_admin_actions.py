"""Writes from the clients admin: bulk actions, KYC and document review, forms, comments, bookmarks."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.models import Activity
from crm.customers.models import Comment, Country, Customer, Document
from tests.conftest import staff_with_role
from tests.customers.factories import (
    PDF_BYTES,
    CommentFactory,
    CustomerFactory,
    DocumentFactory,
    SalesStatusFactory,
    VerificationLevelFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:customers_customer_changelist")
ADD = reverse("admin:customers_customer_add")


def change_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def bulk(client, action: str, customers, **data):
    payload = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [str(c.pk) for c in customers], **data}
    return client.post(CHANGELIST, payload, follow=True)


def test_bulk_assign_asks_for_the_agent_first(client, sales_manager):
    customer = CustomerFactory()
    client.force_login(sales_manager)

    response = bulk(client, "assign_agents_action", [customer])

    assert response.status_code == 200
    assert "conversion_agent" in response.context["form"].fields
    customer.refresh_from_db()
    assert customer.conversion_agent is None


def test_bulk_assign_writes_activity_with_old_and_new(client, sales_manager):
    old_agent = staff_with_role("Sales Agent")
    new_agent = staff_with_role("Sales Agent")
    first, second = CustomerFactory.create_batch(2, conversion_agent=old_agent)
    client.force_login(sales_manager)

    response = bulk(client, "assign_agents_action", [first, second], apply="1", conversion_agent=str(new_agent.pk))

    assert response.status_code == 200
    assert set(Customer.objects.values_list("conversion_agent", flat=True)) == {new_agent.pk}
    activity = Activity.objects.get(action="customer.agent_assigned", target_id=str(first.pk))
    assert activity.actor == sales_manager
    assert activity.changes == {"conversion_agent": [old_agent.pk, new_agent.pk]}
    assert "2 client(s) changed." in [str(m) for m in response.context["messages"]]


def test_bulk_assign_is_refused_without_the_permission(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    other = staff_with_role("Sales Agent")
    client.force_login(sales_agent)

    bulk(client, "assign_agents_action", [customer], apply="1", conversion_agent=str(other.pk))

    customer.refresh_from_db()
    assert customer.conversion_agent == sales_agent


def test_bulk_assign_across_all_filtered_clients(client, sales_manager):
    agent = staff_with_role("Sales Agent")
    banned = CustomerFactory.create_batch(2, status="banned")
    active = CustomerFactory(status="active")
    client.force_login(sales_manager)

    client.post(
        f"{CHANGELIST}?status__exact=banned",
        {
            "action": "assign_agents_action",
            "index": "0",
            "select_across": "1",
            "apply": "1",
            ACTION_CHECKBOX_NAME: [str(banned[0].pk)],
            "conversion_agent": str(agent.pk),
        },
    )

    assert set(Customer.objects.filter(conversion_agent=agent).values_list("pk", flat=True)) == {c.pk for c in banned}
    active.refresh_from_db()
    assert active.conversion_agent is None


def test_bulk_change_status(client, sales_manager):
    customer = CustomerFactory(status="active")
    client.force_login(sales_manager)

    bulk(client, "change_status_action", [customer], apply="1", status="banned")

    customer.refresh_from_db()
    assert customer.status == "banned"
    assert Activity.objects.get(action="customer.status_changed").changes == {"status": ["active", "banned"]}


def test_bulk_set_sales_status(client, sales_manager):
    status = SalesStatusFactory(name="Callback")
    customer = CustomerFactory()
    client.force_login(sales_manager)

    bulk(client, "set_sales_status_action", [customer], apply="1", sales_status=str(status.pk))

    customer.refresh_from_db()
    assert customer.sales_status == status


def test_kyc_approve_from_the_admin_changes_status(client, compliance_officer):
    level = VerificationLevelFactory(name="Full")
    customer = CustomerFactory(kyc_status="pending")
    client.force_login(compliance_officer)
    url = reverse("admin:customers_customer_approve_kyc", args=[customer.pk])

    dialog = client.get(url)
    response = client.post(url, {"_form_submitted": "True", "level": str(level.pk)})

    assert dialog.status_code == 200
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.kyc_status == "approved"
    assert customer.verification_level == level
    assert customer.kyc_reviewed_by == compliance_officer


def test_kyc_approve_is_refused_to_an_agent(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, kyc_status="pending")
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.kyc_status == "pending"


def test_kyc_revoke_of_unapproved_client_reports_the_error(client, compliance_officer):
    customer = CustomerFactory(kyc_status="pending")
    client.force_login(compliance_officer)

    response = client.post(
        reverse("admin:customers_customer_revoke_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )

    assert "Only approved KYC can be revoked." in [str(m) for m in response.context["messages"]]
    customer.refresh_from_db()
    assert customer.kyc_status == "pending"


def test_kyc_revoke_and_reset(client, compliance_officer):
    customer = CustomerFactory(kyc_status="approved")
    client.force_login(compliance_officer)

    client.post(
        reverse("admin:customers_customer_revoke_kyc", args=[customer.pk]),
        {"_form_submitted": "True", "reason": "Expired passport"},
    )
    customer.refresh_from_db()
    revoked = customer.kyc_status
    client.post(reverse("admin:customers_customer_reset_kyc", args=[customer.pk]), {"_form_submitted": "True"})
    customer.refresh_from_db()

    assert revoked == "revoked"
    assert customer.kyc_status == "not_started"
    assert Activity.objects.get(action="kyc.revoked").data == {"reason": "Expired passport"}


def test_kyc_action_on_a_client_out_of_scope_is_404(client, retention_agent):
    retention_agent.user_permissions.add(Permission.objects.get(codename="manage_kyc"))
    customer = CustomerFactory(kyc_status="pending")
    client.force_login(retention_agent)

    response = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}
    )

    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.kyc_status == "pending"


def _form_data(**values) -> dict:
    data = {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "phone": "",
        "country": "GB",
        "language": "en",
        "currency": "USD",
        "risk_status": "low",
    }
    data.update(values)
    return data


def test_create_form_saves_through_the_service(client, sales_manager):
    client.force_login(sales_manager)

    response = client.post(ADD, _form_data(email="Ann@Example.com"))

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.email == "ann@example.com"
    assert Activity.objects.filter(action="customer.created", target_id=str(customer.pk)).exists()


def test_create_form_refuses_a_duplicate_email_with_a_field_error(client, sales_manager):
    CustomerFactory(email="ann@example.com")
    client.force_login(sales_manager)

    response = client.post(ADD, _form_data(email="ANN@example.com"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["Already registered."]
    assert Customer.objects.count() == 1


def test_agent_creating_a_client_becomes_its_agent(client, sales_agent):
    client.force_login(sales_agent)

    client.post(ADD, _form_data())

    customer = Customer.objects.get()
    assert customer.conversion_agent == sales_agent


def test_edit_form_records_old_and_new_values(client, sales_manager):
    customer = CustomerFactory(first_name="Ann", last_name="Lee", email="ann@example.com", phone="", country="GB")
    client.force_login(sales_manager)

    response = client.post(
        change_url(customer),
        {**_form_data(first_name="Anna"), **_inline_management()},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.first_name == "Anna"
    assert Activity.objects.get(action="customer.updated").changes == {"first_name": ["Ann", "Anna"]}


def _inline_management(**comment) -> dict:
    data = {}
    for prefix in ("documents", "comments", "calls", "core-activity-target_type-target_id"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    if comment:
        data.update({"comments-TOTAL_FORMS": "1", "comments-0-body": comment["body"]})
    return data


def test_comment_added_on_the_client_page(client, sales_agent):
    customer = CustomerFactory(
        conversion_agent=sales_agent,
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        phone="",
        country="GB",
    )
    client.force_login(sales_agent)
    data = {**_form_data(), **_inline_management(body="Called, wants a callback")}
    for masked in ("email", "phone"):
        data.pop(masked)

    response = client.post(change_url(customer), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    comment = Comment.objects.get()
    assert (comment.customer, comment.author, comment.body) == (customer, sales_agent, "Called, wants a callback")
    customer.refresh_from_db()
    assert customer.last_comment_at == comment.created_at


def test_client_page_shows_documents_comments_and_history(client, compliance_officer):
    customer = CustomerFactory()
    DocumentFactory(customer=customer, original_name="passport-scan.pdf")
    CommentFactory(customer=customer, body="Prefers email")
    Activity.objects.create(
        action="customer.updated",
        target_type_id=_customer_type(),
        target_id=str(customer.pk),
        changes={"email": ["old@example.com", "new@example.com"]},
    )
    client.force_login(compliance_officer)

    html = client.get(change_url(customer)).content.decode()

    assert "passport-scan.pdf" in html
    assert "/files/" in html  # signed download link
    assert "Prefers email" in html
    assert "old@example.com → new@example.com" in html


def test_history_masks_personal_data_for_agents(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    Activity.objects.create(
        action="customer.updated",
        target_type_id=_customer_type(),
        target_id=str(customer.pk),
        changes={"email": ["old@example.com", "new@example.com"]},
    )
    client.force_login(sales_agent)

    html = client.get(change_url(customer)).content.decode()

    assert "old@example.com" not in html
    assert "new@example.com" not in html


def _customer_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Customer).pk


def test_bookmark_toggle(client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    client.force_login(sales_agent)
    url = reverse("admin:customers_customer_toggle_bookmark", args=[customer.pk])

    client.post(url, {"_form_submitted": "True"})
    bookmarked = customer.bookmarks.filter(user=sales_agent).exists()
    client.post(url, {"_form_submitted": "True"})

    assert bookmarked is True
    assert not customer.bookmarks.exists()


def test_document_queue_lists_new_documents_first(client, compliance_officer):
    reviewed = DocumentFactory(status="approved")
    new = DocumentFactory(status="new")
    client.force_login(compliance_officer)

    response = client.get(reverse("admin:customers_document_changelist"))

    assert [d.pk for d in response.context["cl"].result_list] == [new.pk, reviewed.pk]


def test_document_approve_and_reject_from_the_admin(client, compliance_officer):
    approved, rejected = DocumentFactory.create_batch(2)
    client.force_login(compliance_officer)

    client.post(reverse("admin:customers_document_approve_document", args=[approved.pk]), {"_form_submitted": "True"})
    refused = client.post(
        reverse("admin:customers_document_reject_document", args=[rejected.pk]), {"_form_submitted": "True"}
    )
    client.post(
        reverse("admin:customers_document_reject_document", args=[rejected.pk]),
        {"_form_submitted": "True", "reason": "Blurred"},
    )

    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert refused.status_code == 200  # the dialog again: a reason is required
    assert approved.status == "approved"
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Blurred")


def test_bulk_approve_documents(client, compliance_officer):
    documents = DocumentFactory.create_batch(2)
    client.force_login(compliance_officer)

    client.post(
        reverse("admin:customers_document_changelist"),
        {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [str(d.pk) for d in documents]},
    )

    assert set(Document.objects.values_list("status", flat=True)) == {"approved"}


def test_document_upload_goes_through_the_service(client, compliance_officer):
    customer = CustomerFactory(kyc_status="not_started")
    client.force_login(compliance_officer)

    response = client.post(
        reverse("admin:customers_document_add"),
        {
            "customer": str(customer.pk),
            "document_type": "passport",
            "file": SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    renamed = client.post(
        reverse("admin:customers_document_add"),
        {
            "customer": str(customer.pk),
            "document_type": "passport",
            "file": SimpleUploadedFile("scan.pdf", b"MZ not a pdf", content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    assert renamed.status_code == 200
    assert renamed.context["adminform"].form.errors["file"] == ["Corrupt or renamed file."]
    customer.refresh_from_db()
    assert customer.kyc_status == "pending"
    assert Document.objects.get().original_name == "scan.pdf"


def test_agent_does_not_see_other_agents_documents(client, sales_agent, other_sales_agent):
    DocumentFactory(customer=CustomerFactory(conversion_agent=other_sales_agent))
    mine = DocumentFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    client.force_login(sales_agent)

    response = client.get(reverse("admin:customers_document_changelist"))

    assert [d.pk for d in response.context["cl"].result_list] == [mine.pk]


def test_country_disable_and_enable(client, admin_staff):
    country = Country.objects.create(code="FR")
    client.force_login(admin_staff)
    url = reverse("admin:customers_country_changelist")

    client.post(url, {"action": "disable_selected", "index": "0", ACTION_CHECKBOX_NAME: [str(country.pk)]})
    country.refresh_from_db()
    disabled = country.is_enabled
    client.post(url, {"action": "enable_selected", "index": "0", ACTION_CHECKBOX_NAME: [str(country.pk)]})
    country.refresh_from_db()

    assert disabled is False
    assert country.is_enabled is True
    assert Activity.objects.filter(action="country.disabled").count() == 1


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:customers_country_changelist",
        "admin:customers_clienttype_changelist",
        "admin:customers_verificationlevel_changelist",
        "admin:customers_verificationlevel_add",
        "admin:customers_salesstatus_changelist",
        "admin:customers_clientgroup_changelist",
        "admin:customers_comment_changelist",
        "admin:customers_comment_add",
        "admin:customers_document_add",
        "admin:customers_customer_add",
    ],
)
def test_configuration_pages_render(client, admin_staff, url_name):
    SalesStatusFactory(name="Hot", color="#ff0000")
    client.force_login(admin_staff)

    response = client.get(reverse(url_name))

    assert response.status_code == 200


def test_a_model_validation_error_in_an_object_action_is_a_message_not_a_server_error(
    client, compliance_officer, monkeypatch
):
    from django.core.exceptions import ValidationError

    from crm.customers import services

    def refuse(customer, **kwargs):
        raise ValidationError({"verification_level": ["This level is disabled."]})

    monkeypatch.setattr(services, "approve_kyc", refuse)
    customer = CustomerFactory(kyc_status="pending")
    client.force_login(compliance_officer)

    response = client.post(
        reverse("admin:customers_customer_approve_kyc", args=[customer.pk]), {"_form_submitted": "True"}, follow=True
    )

    assert response.status_code == 200
    assert "This level is disabled." in [str(m) for m in response.context["messages"]]


def test_kyc_review_shows_the_document_beside_the_client_data(client, compliance_officer):
    customer = CustomerFactory(first_name="Ann", last_name="Lee", address_line1="1 High Street", city="York")
    document = DocumentFactory(customer=customer)
    DocumentFactory(customer=customer, document_type="proof_of_address")
    client.force_login(compliance_officer)

    page = client.get(reverse("admin:customers_document_change", args=[document.pk])).content.decode()

    assert 'id="kyc-review"' in page
    assert "1 High Street" in page
    assert "York" in page
    assert "Ann Lee" in page
    assert "Open the document" in page  # a PDF: a signed link beside the data
    assert "Proof of address" in page
