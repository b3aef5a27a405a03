"""Staff, roles and two-factor devices in the admin."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.core.models import Activity
from crm.core.roles import Role
from crm.users.models import User
from tests.users.factories import ApiTokenFactory, StaffUserFactory, TOTPDeviceFactory, UserFactory, role

pytestmark = pytest.mark.django_db
USERS_URL = reverse("admin:users_user_changelist")
AUTOCOMPLETE_URL = reverse("admin:autocomplete")


def test_staff_list_hides_service_accounts(admin_client):
    staff = StaffUserFactory(email="ann@broker.example")
    token = ApiTokenFactory()

    response = admin_client.get(USERS_URL)

    shown = list(response.context["cl"].result_list)
    assert staff in shown
    assert token.user not in shown


def test_staff_list_searches_by_email_and_name(admin_client):
    ann = StaffUserFactory(email="ann@broker.example", first_name="Ann", last_name="Baker")
    StaffUserFactory(email="bob@broker.example", first_name="Bob", last_name="Cole")

    by_email = admin_client.get(USERS_URL, {"q": "ann@"}).context["cl"].result_list
    by_name = admin_client.get(USERS_URL, {"q": "Baker"}).context["cl"].result_list

    assert list(by_email) == [ann]
    assert list(by_name) == [ann]


def test_staff_list_filters_by_role(admin_client):
    agent = StaffUserFactory(roles=[Role.SALES_AGENT])
    StaffUserFactory(roles=[Role.FINANCE])

    response = admin_client.get(USERS_URL, {"groups__id__exact": role(Role.SALES_AGENT).pk})

    assert list(response.context["cl"].result_list) == [agent]


def test_role_is_assigned_as_a_group(admin_client):
    staff = StaffUserFactory()
    change_url = reverse("admin:users_user_change", args=[staff.pk])
    form = admin_client.get(change_url).context["adminform"].form
    data = {name: form.initial.get(name) for name in ("email", "first_name", "last_name", "language")}
    data.update(is_active="on", is_staff="on", groups=[role(Role.COMPLIANCE).pk])
    data.update(date_joined_0="2026-01-01", date_joined_1="10:00:00")

    response = admin_client.post(change_url, data)

    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).has_perm("customers.manage_kyc")


def test_non_superuser_admin_cannot_hand_out_superuser(client):
    admin_staff = StaffUserFactory(roles=[Role.ADMIN])
    other = StaffUserFactory()
    client.force_login(admin_staff)

    form = client.get(reverse("admin:users_user_change", args=[other.pk])).context["adminform"].form

    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "groups" in form.fields


def test_adding_staff_stores_the_email_lower_case(admin_client):
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "New.Person@Broker.example",
            "first_name": "New",
            "last_name": "Person",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(email="new.person@broker.example").exists()


def test_agent_autocomplete_offers_only_active_staff(admin_client):
    agent = StaffUserFactory(email="zed.agent@broker.example", roles=[Role.SALES_AGENT])
    StaffUserFactory(email="zed.gone@broker.example", is_active=False)
    UserFactory(email="zed.client@example.com")
    ApiTokenFactory(name="zed integration")

    response = admin_client.get(
        AUTOCOMPLETE_URL,
        {"term": "zed", "app_label": "customers", "model_name": "customer", "field_name": "conversion_agent"},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(agent.pk)]


def test_staff_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    StaffUserFactory.create_batch(2, roles=[Role.SALES_AGENT])
    admin_client.get(USERS_URL)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(USERS_URL)
    StaffUserFactory.create_batch(15, roles=[Role.SALES_AGENT, Role.SUPPORT])

    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(USERS_URL)

    assert response.status_code == 200


def test_role_changelist_queries_do_not_grow_with_members(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("admin:auth_group_changelist")
    admin_client.get(url)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(url)
    StaffUserFactory.create_batch(10, roles=[Role.SALES_AGENT])

    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert "Sales Agent" in response.content.decode()


def test_totp_device_changelist_queries_do_not_grow(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("admin:otp_totp_totpdevice_changelist")
    TOTPDeviceFactory.create_batch(2)
    admin_client.get(url)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(url)
    TOTPDeviceFactory.create_batch(10)

    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_totp_device_page_does_not_show_the_secret(admin_client):
    device = TOTPDeviceFactory()

    response = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))

    assert response.status_code == 200
    assert device.key not in response.content.decode()


def test_admin_resets_someones_device(admin_client):
    device = TOTPDeviceFactory()

    response = admin_client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_selected", "_selected_action": [device.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=device.user).exists()
    assert Activity.objects.filter(action="two_factor.reset", target_id=str(device.user.pk)).count() == 1
