import pytest
from rest_framework.test import APIRequestFactory

from crm.customers.api.permissions import IsPortalCustomer
from crm.customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.users.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def _allowed(user) -> bool:
    request = APIRequestFactory().get("/api/v1/portal/")
    request.user = user
    return IsPortalCustomer().has_permission(request, view=None)


@pytest.mark.parametrize(
    ("status", "allowed", "_case"),
    [
        (Customer.Status.ACTIVE, True, "active client"),
        (Customer.Status.INACTIVE, True, "unconfirmed client"),
        (Customer.Status.BANNED, False, "banned client"),
        (Customer.Status.DELETED, False, "deleted client"),
    ],
)
def test_portal_is_for_clients_in_good_standing(status, allowed, _case):
    customer = CustomerFactory(user=UserFactory(), status=status)

    assert _allowed(customer.user) is allowed


def test_staff_and_users_without_a_client_record_are_refused():
    assert _allowed(StaffUserFactory()) is False
    assert _allowed(UserFactory()) is False
