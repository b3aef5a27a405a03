import pytest

from crm.core.roles import Role
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.users.factories import UserFactory


@pytest.fixture
def customer(db):
    """A portal client (with a log-in)."""
    return CustomerFactory(user=UserFactory())


@pytest.fixture
def portal_client(api_client, customer):
    api_client.force_authenticate(customer.user)
    return api_client


@pytest.fixture
def second_finance(db):
    return staff_with_role(Role.FINANCE)
