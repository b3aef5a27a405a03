"""Field rights per role (`customers/roles.py` FIELD_RIGHTS): the same fields read-only in the admin and refused by
the API, per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.core.roles import Role
from crm.customers.models import ClientGroup, Customer
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

GUARDED = ["risk_status", "groups", "introducer", "conversion_agent", "client_type"]
# role -> the guarded fields it may change
MAY_CHANGE = {
    Role.SALES_AGENT: set(),
    Role.RETENTION_AGENT: set(),
    Role.SALES_MANAGER: {"groups", "conversion_agent", "client_type"},
    Role.COMPLIANCE: {"risk_status", "groups", "client_type"},
    Role.AFFILIATE_MANAGER: {"groups", "introducer", "client_type"},
    Role.ADMIN: set(GUARDED),
}
CASES = [(role, field, field in allowed) for role, allowed in MAY_CHANGE.items() for field in GUARDED]


def _own_client(user) -> Customer:
    return CustomerFactory(conversion_agent=user, retention_agent=user)


def _api_value(field: str, user) -> tuple[str, object]:
    if field == "risk_status":
        return "risk_status", "high"
    if field == "groups":
        return "groups", ["VIP"]
    if field == "introducer":
        return "introducer_id", CustomerFactory(conversion_agent=user, retention_agent=user).pk
    if field == "client_type":
        return "client_type_id", None
    return "conversion_agent_id", staff_with_role(Role.SALES_AGENT).pk


@pytest.mark.parametrize(("role", "field", "allowed"), CASES, ids=[f"{r.name}-{f}" for r, f, _ in CASES])
def test_admin_client_page_shows_a_guarded_field_editable_only_to_its_roles(client, role, field, allowed):
    user = staff_with_role(role)
    customer = _own_client(user)
    client.force_login(user)

    response = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert (field in form.fields) is allowed


@pytest.mark.parametrize(("role", "field", "allowed"), CASES, ids=[f"{r.name}-{f}" for r, f, _ in CASES])
def test_api_refuses_a_guarded_field_to_roles_without_its_right(api_client, role, field, allowed):
    user = staff_with_role(role)
    customer = _own_client(user)
    name, value = _api_value(field, user)
    api_client.force_authenticate(user)

    response = api_client.patch(f"/api/v1/backoffice/customers/{customer.pk}/", {name: value}, format="json")

    if allowed:
        assert response.status_code == 200, response.json()
        assert field in response.json()["editable_fields"]
    else:
        assert response.status_code == 403
        body = response.json()["error"]
        assert body["code"] == "field_not_permitted"
        assert field in body["fields"]
        customer.refresh_from_db()
        assert customer.risk_status == "low"
        assert not customer.groups.exists()
        assert customer.introducer_id is None
        assert customer.conversion_agent == user


def test_detail_lists_the_fields_the_caller_may_change(api_client, sales_agent):
    customer = _own_client(sales_agent)
    api_client.force_authenticate(sales_agent)

    editable = api_client.get(f"/api/v1/backoffice/customers/{customer.pk}/").json()["editable_fields"]

    assert "first_name" in editable
    assert "sales_status" in editable
    assert not {*GUARDED, "retention_agent", "roles"} & set(editable)


def test_admin_post_of_a_read_only_field_changes_nothing(client, sales_agent):
    customer = CustomerFactory(
        conversion_agent=sales_agent,
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        phone="",
        country="GB",
    )
    client.force_login(sales_agent)
    data = {"first_name": "Anna", "last_name": "Lee", "country": "GB", "language": "en", "currency": "USD"}
    data.update({"risk_status": "high", "groups": [ClientGroup.objects.create(name="VIP").pk]})
    for prefix in ("documents", "comments", "calls", "core-activity-target_type-target_id"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = client.post(reverse("admin:customers_customer_change", args=[customer.pk]), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.risk_status) == ("Anna", "low")
    assert not customer.groups.exists()


def test_bulk_update_names_the_row_and_field_refused(api_client, sales_agent):
    customers = [_own_client(sales_agent) for _ in range(2)]
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        "/api/v1/backoffice/customers/bulk-update/",
        [{"id": customers[0].pk, "first_name": "Ann"}, {"id": customers[1].pk, "risk_status": "high"}],
        format="json",
    )

    assert response.status_code == 403
    assert list(response.json()["error"]["fields"]) == ["1.risk_status"]
    customers[0].refresh_from_db()
    assert customers[0].first_name != "Ann"


def test_agent_creating_a_client_through_the_api_cannot_set_its_risk(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)
    body = {"full_name": "Ann Lee", "email": "ann@example.com", "phone": "+447911000001", "country": "GB"}

    refused = api_client.post(
        "/api/v1/backoffice/customers/", {**body, "currency": "USD", "risk_status": "high"}, format="json"
    )
    created = api_client.post("/api/v1/backoffice/customers/", {**body, "currency": "USD"}, format="json")

    assert refused.status_code == 403
    assert created.status_code == 201
    assert Customer.objects.get().conversion_agent == sales_agent
