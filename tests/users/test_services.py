"""Rules of API tokens and two-factor devices, at the service level."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.core.exceptions import DomainError, PermissionDenied
from crm.core.models import Activity
from crm.core.roles import Role
from crm.users import services
from crm.users.models import ApiToken
from tests.users.factories import ApiTokenFactory, StaffUserFactory, TOTPDeviceFactory, role

pytestmark = pytest.mark.django_db


def test_token_stores_only_the_hash_of_its_key():
    token, raw_key = services.create_api_token(name="BI", role=role(Role.FINANCE))

    assert raw_key not in {token.key_hash, token.name, token.user.email}
    assert len(raw_key) >= 40
    assert services.authenticate_api_token(raw_key, ip=None) == token


def test_token_with_a_past_expiry_is_refused():
    with pytest.raises(DomainError) as exc:
        services.create_api_token(name="Old", role=role(Role.FINANCE), expires_at=timezone.now())

    assert exc.value.code == "invalid_expiry"
    assert not ApiToken.objects.exists()


def test_token_role_must_be_a_staff_role():
    with pytest.raises(DomainError) as exc:
        services.create_api_token(name="X", role=Group.objects.create(name="Hand-made"))

    assert exc.value.code == "invalid_role"


def test_staff_cannot_create_a_token_stronger_than_themselves():
    manager = StaffUserFactory(roles=[Role.SALES_MANAGER])

    with pytest.raises(PermissionDenied):
        services.create_api_token(name="X", role=role(Role.COMPLIANCE), actor=manager)

    assert not ApiToken.objects.exists()


def test_staff_can_create_a_token_within_their_own_permissions():
    manager = StaffUserFactory(roles=[Role.SALES_MANAGER])

    token, _ = services.create_api_token(name="X", role=role(Role.SALES_AGENT), actor=manager)

    assert token.created_by == manager


def test_unchanged_allow_list_writes_nothing():
    token = ApiTokenFactory(allowed_ips=["10.0.0.0/8"])

    services.update_api_token_allowed_ips(token, allowed_ips=["10.0.0.1/8"], actor=None)

    assert not Activity.objects.filter(action="api_token.allowed_ips_changed").exists()


def test_deleted_token_cannot_come_back():
    token = ApiTokenFactory()
    raw_key = token.raw_key

    services.delete_api_token(token, actor=None)

    assert not ApiToken.objects.filter(pk=token.pk).exists()
    with pytest.raises(services.TokenRefused):
        services.authenticate_api_token(raw_key, ip=None)


def test_malformed_caller_address_is_refused_by_an_allow_list():
    token = ApiTokenFactory(allowed_ips=["10.0.0.0/8"])

    with pytest.raises(services.TokenRefused) as exc:
        services.authenticate_api_token(token.raw_key, ip="not-an-ip")

    assert exc.value.code == "token_ip_not_allowed"


def test_expired_token_is_refused():
    token = ApiTokenFactory(expires_at=timezone.now() + dt.timedelta(minutes=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    with pytest.raises(services.TokenRefused) as exc:
        services.authenticate_api_token(token.raw_key, ip=None)

    assert exc.value.code == "token_expired"


def test_reset_removes_every_device_of_the_user():
    device = TOTPDeviceFactory()
    TOTPDeviceFactory(user=device.user, confirmed=False)

    count = services.reset_totp_devices(device.user, actor=None)

    assert count == 2
    assert not services.has_confirmed_totp(device.user)
