"""Back-office clients API: the route contract, list, detail, masking and query counts."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse, reverse_lazy

from crm.core.models import Activity, OutboxEvent
from crm.core.roles import Role
from crm.customers.models import Customer
from crm.users.models import User
from tests.conftest import staff_with_role
from tests.customers.factories import (
    ClientGroupFactory,
    CommentFactory,
    CustomerFactory,
    DocumentFactory,
    SalesStatusFactory,
)
from tests.sales.factories import DeskFactory
from tests.users.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse_lazy("backoffice:customer-list")

# (method, url name, takes the client id, body)
LIST_ROUTES = [
    ("get", "customer-list", {}),
    ("post", "customer-list", {"email": "new@example.com"}),
    ("post", "customer-bulk-update", []),
    ("get", "customer-ids", {}),
    ("get", "customer-bookmarks", {}),
    ("post", "customer-export", {}),
]
DETAIL_ROUTES = [
    ("get", "customer-detail", {}),
    ("patch", "customer-detail", {"first_name": "Changed"}),
    ("get", "customer-history", {}),
    ("post", "customer-assign", {"retention_agent_id": None}),
    ("post", "customer-change-status", {"status": "banned"}),
    ("post", "customer-kyc-approve", {}),
    ("post", "customer-kyc-revoke", {"reason": "Expired passport"}),
    ("post", "customer-kyc-reset", {}),
    ("get", "customer-documents", {}),
    ("post", "customer-documents", {"document_type": "passport"}),
    ("post", "customer-documents-review", {"decision": "approve"}),
    ("get", "customer-comments", {}),
    ("post", "customer-comments", {"body": "Called, no answer"}),
    ("post", "customer-bookmark", {}),
    ("delete", "customer-bookmark", {}),
]


def route_url(name, customer=None, document=None):
    if name == "customer-documents-review":
        return reverse(f"backoffice:{name}", args=[customer.pk, document.pk])
    if name in {route[1] for route in LIST_ROUTES}:
        return reverse(f"backoffice:{name}")
    return reverse(f"backoffice:{name}", args=[customer.pk])


def agent_with_every_customer_permission():
    """A staff member holding every client permission except seeing all clients."""
    user = StaffUserFactory()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="customers").exclude(codename="view_all_customers")
    )
    return user


def fresh(user):
    # A new instance: permission caches of an earlier request must not hide queries.
    return User.objects.get(pk=user.pk)


# Contract -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "name", "body"), LIST_ROUTES + DETAIL_ROUTES)
def test_anonymous_caller_is_refused(api_client, method, name, body):
    document = DocumentFactory()

    response = getattr(api_client, method)(route_url(name, document.customer, document), body, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "name", "body"), LIST_ROUTES + DETAIL_ROUTES)
def test_staff_without_permission_is_refused(api_client, method, name, body):
    document = DocumentFactory()
    api_client.force_authenticate(StaffUserFactory())

    response = getattr(api_client, method)(route_url(name, document.customer, document), body, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "name", "body"), LIST_ROUTES + DETAIL_ROUTES)
def test_client_portal_user_is_refused(api_client, method, name, body):
    document = DocumentFactory()
    api_client.force_authenticate(UserFactory())

    response = getattr(api_client, method)(route_url(name, document.customer, document), body, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(("method", "name", "body"), DETAIL_ROUTES)
def test_other_agents_client_answers_404(api_client, other_sales_agent, method, name, body):
    agent = agent_with_every_customer_permission()
    customer = CustomerFactory(conversion_agent=other_sales_agent, first_name="Kept")
    document = DocumentFactory(customer=customer)
    api_client.force_authenticate(agent)

    response = getattr(api_client, method)(route_url(name, customer, document), body, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    customer.refresh_from_db()
    document.refresh_from_db()
    assert (customer.first_name, customer.status, customer.kyc_status) == ("Kept", "active", "not_started")
    assert customer.retention_agent_id is None
    assert document.status == "new"
    assert customer.comments.count() == 0
    assert customer.documents.count() == 1
    assert not Activity.objects.filter(target_id=str(customer.pk)).exists()


@pytest.mark.parametrize(
    ("role", "method", "name", "body"),
    [
        (Role.SUPPORT, "patch", "customer-detail", {"first_name": "Changed"}),
        (Role.RETENTION_AGENT, "post", "customer-list", {"email": "x@example.com"}),
        (Role.SALES_AGENT, "post", "customer-kyc-approve", {}),
        (Role.SALES_AGENT, "post", "customer-assign", {"retention_agent_id": None}),
        (Role.SALES_AGENT, "post", "customer-change-status", {"status": "banned"}),
        (Role.SALES_AGENT, "post", "customer-documents", {"document_type": "passport"}),
        (Role.SALES_AGENT, "post", "customer-documents-review", {"decision": "approve"}),
        (Role.DEALER, "post", "customer-comments", {"body": "Hello"}),
        (Role.FINANCE, "post", "customer-bookmark", {}),
        (Role.SALES_AGENT, "post", "customer-export", {}),
    ],
    ids=lambda value: value if isinstance(value, str) and "-" in value else None,
)
def test_write_without_the_model_permission_is_refused(api_client, role, method, name, body):
    user = StaffUserFactory(roles=[role])
    customer = CustomerFactory(conversion_agent=user, first_name="Kept")
    document = DocumentFactory(customer=customer)
    api_client.force_authenticate(user)

    response = getattr(api_client, method)(route_url(name, customer, document), body, format="json")

    assert response.status_code == 403
    customer.refresh_from_db()
    assert (customer.first_name, customer.status, customer.kyc_status) == ("Kept", "active", "not_started")
    assert Customer.objects.count() == 1
    assert not OutboxEvent.objects.exclude(name="customer.created").exists()


def test_agent_lists_only_own_clients(api_client, sales_agent, other_sales_agent):
    own = CustomerFactory(conversion_agent=sales_agent)
    kept = CustomerFactory(retention_agent=sales_agent)
    CustomerFactory(conversion_agent=other_sales_agent)
    CustomerFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert sorted(row["id"] for row in response.json()["results"]) == sorted([own.pk, kept.pk])


def test_a_desk_manager_lists_the_clients_of_the_desk_and_its_members_only_their_own(api_client, sales_agent):
    manager, member, outsider = (staff_with_role(Role.SALES_AGENT) for _ in range(3))
    DeskFactory(manager=manager).members.add(member, sales_agent)
    DeskFactory(manager=outsider)
    desk = [
        CustomerFactory(conversion_agent=manager),
        CustomerFactory(conversion_agent=member),
        CustomerFactory(conversion_agent=outsider, retention_agent=sales_agent),
    ]
    CustomerFactory(conversion_agent=outsider)
    CustomerFactory()

    def listed(user):
        api_client.force_authenticate(fresh(user))
        return sorted(row["id"] for row in api_client.get(LIST_URL).json()["results"])

    assert listed(manager) == sorted(customer.pk for customer in desk)
    assert listed(member) == [desk[1].pk]
    assert listed(sales_agent) == [desk[2].pk]
    api_client.force_authenticate(fresh(member))
    assert api_client.get(reverse("backoffice:customer-detail", args=[desk[0].pk])).status_code == 404


def test_manager_lists_every_client(api_client, sales_manager, sales_agent):
    CustomerFactory.create_batch(2, conversion_agent=sales_agent)
    CustomerFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.get(LIST_URL)

    assert response.json()["count"] == 3


def _rows_with_relations(count, agent):
    status = SalesStatusFactory(name="Call back")
    group = ClientGroupFactory(name="VIP")
    for customer in CustomerFactory.create_batch(count, conversion_agent=agent, sales_status=status):
        customer.groups.add(group)
        customer.roles.add(*customer.roles.model.objects.filter(name="trader"))


def test_list_queries_do_not_grow_with_rows(api_client, sales_manager, django_assert_num_queries):
    # permissions (user + groups: one query), COUNT, page, roles, groups
    _rows_with_relations(2, sales_manager)
    api_client.force_authenticate(fresh(sales_manager))
    with django_assert_num_queries(5):
        response = api_client.get(LIST_URL)
    assert response.json()["count"] == 2

    _rows_with_relations(30, sales_manager)
    api_client.force_authenticate(fresh(sales_manager))
    with django_assert_num_queries(5):
        response = api_client.get(LIST_URL, {"limit": 100})
    assert response.json()["count"] == 32


def test_detail_queries_are_fixed(api_client, sales_manager, django_assert_num_queries):
    customer = CustomerFactory(conversion_agent=sales_manager)
    CommentFactory.create_batch(3, customer=customer)
    DocumentFactory.create_batch(2, customer=customer)
    api_client.force_authenticate(fresh(sales_manager))

    # permissions (user + groups: one query), the annotated row, roles, groups
    with django_assert_num_queries(4):
        response = api_client.get(reverse("backoffice:customer-detail", args=[customer.pk]))

    assert response.json()["comments_count"] == 3
    assert response.json()["documents_count"] == 2


# Read -----------------------------------------------------------------------------------


def test_detail_shows_counts_agents_level_and_bookmark(api_client, compliance_officer, sales_agent):
    introducer = CustomerFactory(first_name="Ina", last_name="Troducer")
    customer = CustomerFactory(
        first_name="Jane",
        last_name="Doe",
        conversion_agent=sales_agent,
        introducer=introducer,
        kyc_status=Customer.KycStatus.APPROVED,
        kyc_reviewed_by=compliance_officer,
    )
    CustomerFactory(introducer=customer)
    CommentFactory(customer=customer)
    customer.bookmarks.create(user=compliance_officer)
    api_client.force_authenticate(compliance_officer)

    data = api_client.get(reverse("backoffice:customer-detail", args=[customer.pk])).json()

    assert data["full_name"] == "Jane Doe"
    assert data["conversion_agent"] == {"id": sales_agent.pk, "name": sales_agent.get_full_name()}
    assert data["retention_agent"] is None
    assert data["introducer"] == {"id": introducer.pk, "name": "Ina Troducer"}
    assert data["kyc_reviewed_by"]["id"] == compliance_officer.pk
    assert (data["comments_count"], data["documents_count"], data["referrals_count"]) == (1, 0, 1)
    assert data["is_bookmarked"] is True
    assert data["country"] == "GB"
    assert data["country_name"] == "United Kingdom"


def test_sales_agent_sees_masked_email_and_phone(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, email="jane.doe@example.com", phone="+447911123456")
    api_client.force_authenticate(sales_agent)

    row = api_client.get(LIST_URL).json()["results"][0]
    detail = api_client.get(reverse("backoffice:customer-detail", args=[customer.pk])).json()

    assert (row["email"], row["phone"]) == ("j*******@*******.com", "+44********56")
    assert (detail["email"], detail["phone"]) == ("j*******@*******.com", "+44********56")


def test_compliance_sees_full_email_and_phone(api_client, compliance_officer):
    customer = CustomerFactory(email="jane.doe@example.com", phone="+447911123456")
    api_client.force_authenticate(compliance_officer)

    detail = api_client.get(reverse("backoffice:customer-detail", args=[customer.pk])).json()

    assert (detail["email"], detail["phone"]) == ("jane.doe@example.com", "+447911123456")


def test_history_masks_old_and_new_email_for_sales_agent(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent, email="old@example.com")
    api_client.force_authenticate(sales_agent)
    api_client.patch(reverse("backoffice:customer-detail", args=[customer.pk]), {"email": "new@example.com"})

    rows = api_client.get(reverse("backoffice:customer-history", args=[customer.pk])).json()["results"]

    assert rows[0]["action"] == "customer.updated"
    assert rows[0]["changes"] == {"email": ["o***@*******.com", "n***@*******.com"]}
