"""A staff member sets up their own authenticator app."""

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.core.roles import Role
from tests.users.factories import StaffUserFactory, TOTPDeviceFactory, totp_now

pytestmark = pytest.mark.django_db
SETUP_URL = reverse("admin:users_two_factor")


@pytest.fixture
def agent_client(client):
    agent = StaffUserFactory(roles=[Role.SALES_AGENT])
    client.force_login(agent)
    client.agent = agent
    return client


def test_setup_page_shows_a_qr_code_for_a_new_device(agent_client):
    response = agent_client.get(SETUP_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "<svg" in content
    assert response.context["config_url"].startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=agent_client.agent)
    assert device.confirmed is False


def test_reloading_the_page_keeps_the_same_secret(agent_client):
    first = agent_client.get(SETUP_URL).context["secret"]

    second = agent_client.get(SETUP_URL).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user=agent_client.agent).count() == 1


def test_first_code_confirms_the_device_and_verifies_the_session(agent_client):
    agent_client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=agent_client.agent)

    response = agent_client.post(SETUP_URL, {"token": totp_now(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert agent_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_wrong_code_leaves_the_device_unconfirmed(agent_client):
    agent_client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=agent_client.agent)

    response = agent_client.post(SETUP_URL, {"token": f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"})

    assert response.status_code == 200
    assert "token" in response.context["form"].errors
    device.refresh_from_db()
    assert device.confirmed is False


def test_staff_with_a_device_see_it_is_on(client):
    device = TOTPDeviceFactory()
    client.force_login(device.user)

    response = client.get(SETUP_URL)

    assert response.context["has_device"] is True
    assert "config_url" not in response.context
    assert 'id="two-factor-status"' in response.content.decode()


def test_moving_to_a_new_phone_keeps_the_old_device_until_confirmed(client):
    old = TOTPDeviceFactory()
    client.force_login(old.user)

    client.get(SETUP_URL, {"replace": "1"})
    new = TOTPDevice.objects.get(user=old.user, confirmed=False)
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    client.post(SETUP_URL, {"token": totp_now(new), "replace": "1"})

    assert list(TOTPDevice.objects.filter(user=old.user).values_list("pk", "confirmed")) == [(new.pk, True)]


def test_setup_page_needs_an_admin_login(client):
    response = client.get(SETUP_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_sidebar_links_every_staff_member_to_their_set_up(agent_client):
    response = agent_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert SETUP_URL in response.content.decode()
