"""Login records, devices, client two-factor and staff impersonation through the portal API and the admin."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.core.exceptions import PermissionDenied
from crm.core.models import Activity
from crm.customers import services
from crm.users import security
from crm.users.models import Device, LoginRecord
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.customers.portal import url
from tests.users.factories import DEFAULT_PASSWORD, totp_now

pytestmark = pytest.mark.django_db


def _log_in(api_client, customer, platform):
    body = {"email": customer.email, "password": DEFAULT_PASSWORD, "device": {"platform": platform}}
    return api_client.post(url("auth-log-in"), body, format="json").json()


def test_login_records_are_the_clients_own(api_client, django_assert_num_queries):
    customer, other = PortalCustomerFactory(), PortalCustomerFactory()
    tokens = _log_in(api_client, customer, "web")
    api_client.post(url("auth-log-in"), {"email": customer.email, "password": "wrong"}, format="json")
    _log_in(api_client, other, "web")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    rows = api_client.get(url("login-record-list")).json()["results"]

    assert [(row["result"], row["reason"]) for row in rows] == [
        ("failure", "bad_credentials"),
        ("success", "password"),
    ]
    with django_assert_num_queries(4):  # user, client (permission), COUNT, page
        api_client.get(url("login-record-list"))


def test_devices_list_marks_the_current_one_and_removing_one_logs_it_out(api_client):
    customer = PortalCustomerFactory()
    phone = _log_in(api_client, customer, "ios")
    laptop = _log_in(api_client, customer, "web")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")

    rows = api_client.get(url("device-list")).json()["results"]
    ios = Device.objects.get(platform="ios")
    removed = api_client.delete(url("device-detail", ios.pk))

    assert {(row["platform"], row["is_current_device"]) for row in rows} == {("ios", False), ("web", True)}
    assert removed.status_code == 204
    assert api_client.post(url("auth-refresh"), {"refresh": phone["refresh"]}, format="json").status_code == 401
    assert api_client.post(url("auth-refresh"), {"refresh": laptop["refresh"]}, format="json").status_code == 200


def test_another_clients_device_answers_404(api_client):
    customer, other = PortalCustomerFactory(), PortalCustomerFactory()
    theirs = security.register_device(other.user, platform="web")
    bearer(api_client, customer)

    assert api_client.delete(url("device-detail", theirs.pk)).status_code == 404
    assert Device.objects.filter(pk=theirs.pk).exists()


def test_two_factor_set_up_confirm_and_turn_off(api_client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    setup = api_client.post(url("two-factor-setup"))
    device = TOTPDevice.objects.get(user=customer.user)
    wrong = api_client.post(url("two-factor-confirm"), {"code": "000000"}, format="json")
    confirmed = api_client.post(url("two-factor-confirm"), {"code": totp_now(device)}, format="json")
    status = api_client.get(url("two-factor-two-factor-status")).json()
    again = api_client.post(url("two-factor-setup"))
    code = confirmed.json()["recovery_codes"][0]
    refused = api_client.post(url("two-factor-disable"), {"password": "wrong", "code": code}, format="json")
    off = api_client.post(url("two-factor-disable"), {"password": DEFAULT_PASSWORD, "code": code}, format="json")

    assert set(setup.json()) == {"secret", "config_url"}
    assert wrong.status_code == 400
    assert len(confirmed.json()["recovery_codes"]) == 10
    assert status == {"enabled": True, "recovery_codes_left": 10}
    assert again.status_code == 409
    assert refused.status_code == 400
    assert off.status_code == 204
    assert not security.has_two_factor(customer.user)


def test_new_recovery_codes_need_a_current_code(api_client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    customer = PortalCustomerFactory()
    device = TOTPDevice.objects.create(user=customer.user, name="app", confirmed=True)
    old = security.new_recovery_codes(customer.user)
    bearer(api_client, customer)

    refused = api_client.post(url("two-factor-recovery-codes"), {"code": "nope"}, format="json")
    renewed = api_client.post(url("two-factor-recovery-codes"), {"code": totp_now(device)}, format="json")

    assert refused.status_code == 400
    assert set(renewed.json()["recovery_codes"]).isdisjoint(old)
    assert not security.verify_second_factor(customer.user, old[1])


# Impersonation -----------------------------------------------------------------------------------


def test_impersonation_token_opens_the_portal_and_shows_in_the_login_records(api_client, support_agent):
    customer = PortalCustomerFactory()

    token, expires_at = services.impersonate_customer(customer, actor=support_agent)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    profile = api_client.get(url("account-profile"))
    records = api_client.get(url("login-record-list")).json()["results"]

    assert profile.json()["id"] == customer.pk
    assert dt.timedelta(minutes=14) < expires_at - timezone.now() <= dt.timedelta(minutes=15)
    assert records[0]["reason"] == "impersonation"
    assert records[0]["by_staff"] is True
    record = LoginRecord.objects.get(user=customer.user)
    assert record.impersonated_by == support_agent
    assert Activity.objects.filter(action="customer.impersonated", actor=support_agent).count() == 1


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("post", "auth-change-password"),
        ("post", "two-factor-setup"),
        ("post", "account-disable-request"),
    ],
)
def test_a_staff_member_logged_in_as_the_client_cannot_change_its_security(api_client, support_agent, method, name):
    customer = PortalCustomerFactory()
    token, _ = services.impersonate_customer(customer, actor=support_agent)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = getattr(api_client, method)(url(name), {}, format="json")

    assert response.status_code == 403


def test_impersonation_needs_the_permission(sales_agent):
    customer = PortalCustomerFactory(conversion_agent=sales_agent)

    with pytest.raises(PermissionDenied):
        services.impersonate_customer(customer, actor=sales_agent)

    assert not LoginRecord.objects.exists()


def test_admin_log_in_as_client_shows_a_token(client, support_agent):
    customer = PortalCustomerFactory()
    client.force_login(support_agent)

    response = client.post(
        reverse("admin:customers_customer_impersonate", args=[customer.pk]), {"_form_submitted": "True"}
    )

    assert response.status_code == 200
    assert "Access token" in response.content.decode()
    assert LoginRecord.objects.get(user=customer.user).impersonated_by == support_agent


def test_admin_log_in_as_client_is_refused_without_the_permission(client, sales_agent):
    customer = PortalCustomerFactory(conversion_agent=sales_agent)
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:customers_customer_impersonate", args=[customer.pk]), {"_form_submitted": "True"}
    )

    assert response.status_code == 403
    assert not LoginRecord.objects.exists()
