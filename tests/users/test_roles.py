"""Role groups created by migrate, with the permissions each job needs."""

import pytest
from django.contrib.auth.models import Group

from crm.core.roles import Role
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_every_role_group_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.parametrize(
    ("role_name", "perm", "granted", "_case"),
    [
        (Role.SALES_AGENT, "customers.view_customer", True, "agent works clients"),
        (Role.SALES_AGENT, "customers.view_all_customers", False, "agent sees only own"),
        (Role.SALES_AGENT, "customers.view_personal_data", False, "agent sees masked data"),
        (Role.SALES_AGENT, "users.add_apitoken", False, "agent makes no tokens"),
        (Role.SALES_MANAGER, "customers.view_all_customers", True, "manager sees all"),
        (Role.SALES_MANAGER, "users.view_user", True, "manager sees staff"),
        (Role.COMPLIANCE, "customers.manage_kyc", True, "compliance runs KYC"),
        (Role.COMPLIANCE, "customers.view_personal_data", True, "compliance sees personal data"),
        (Role.FINANCE, "customers.manage_kyc", False, "finance does not run KYC"),
        (Role.SUPPORT, "users.change_user", False, "support cannot change staff"),
        (Role.ADMIN, "users.add_apitoken", True, "admin makes tokens"),
        (Role.ADMIN, "otp_totp.delete_totpdevice", True, "admin resets two-factor"),
        (Role.ADMIN, "customers.manage_kyc", True, "admin has every permission"),
        (Role.SALES_AGENT, "core.view_exportjob", True, "agent follows own exports"),
        (Role.DEALER, "core.view_all_exportjobs", False, "dealer sees only own exports"),
    ],
)
def test_role_permissions(role_name, perm, granted, _case):
    staff = StaffUserFactory(roles=[role_name])

    assert staff.has_perm(perm) is granted
