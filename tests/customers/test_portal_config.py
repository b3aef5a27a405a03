"""Public portal configuration, reCAPTCHA settings, and the admin pages of the portal configuration."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.models import Setting
from crm.customers.models import ClientType, Country, VerificationLevel, VerificationLimit
from tests.customers.portal import url
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_countries_open_for_sign_up(api_client):
    Country.objects.create(code="GB", is_enabled=True)
    Country.objects.create(code="DE", is_enabled=True)
    Country.objects.create(code="US", is_enabled=False)

    response = api_client.get(url("config-countries"))

    assert response.json() == [{"code": "DE", "name": "Germany"}, {"code": "GB", "name": "United Kingdom"}]


def test_enabled_client_types(api_client):
    ClientType.objects.create(name="Individual", is_default=True)
    ClientType.objects.create(name="Old", is_enabled=False)

    response = api_client.get(url("config-client-types"))

    assert [row["name"] for row in response.json()] == ["Individual"]


def test_visible_verification_levels_with_limits(api_client, django_assert_num_queries):
    level = VerificationLevel.objects.create(name="Basic", is_default=True)
    VerificationLimit.objects.create(level=level, currency="USD", daily_deposit=Decimal("1000"))
    VerificationLevel.objects.create(name="Hidden", is_visible=False, rank=5)

    with django_assert_num_queries(2):
        response = api_client.get(url("config-verification-levels"))

    rows = response.json()
    assert [row["name"] for row in rows] == ["Basic"]
    assert rows[0]["limits"][0]["daily_deposit"] == "1000.00000000"


def test_captcha_site_key_and_settings(api_client, admin_staff):
    assert api_client.get(url("config-captcha")).json() == {"enabled": False, "site_key": ""}
    api_client.force_authenticate(admin_staff)

    saved = api_client.put(
        "/api/v1/backoffice/provider-settings/recaptcha/",
        {"site_key": "site-key", "secret": "the-secret", "score": "0.70"},
        format="json",
    )
    api_client.force_authenticate(None)

    assert saved.json() == {"enabled": True, "site_key": "site-key", "score": "0.70", "secret_set": True}
    assert "the-secret" not in Setting.objects.get(key="recaptcha.secret").stored_value
    assert api_client.get(url("config-captcha")).json() == {"enabled": True, "site_key": "site-key"}


def test_provider_settings_need_the_settings_permission(api_client, compliance_officer):
    api_client.force_authenticate(compliance_officer)

    assert api_client.get("/api/v1/backoffice/provider-settings/sumsub/").status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "customers_onboardingstepconfiguration",
        "customers_customerfieldconfiguration",
        "customers_kycwebhook",
        "users_loginrecord",
        "users_device",
    ],
)
def test_portal_admin_pages_open(client, name):
    client.force_login(StaffUserFactory(is_superuser=True))

    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_admin_saves_a_steps_stage_through_the_service(client):
    from crm.core.models import Activity
    from crm.customers.models import OnboardingStepConfiguration

    client.force_login(StaffUserFactory(is_superuser=True))
    config = OnboardingStepConfiguration.objects.get(step="KYC")

    client.post(
        reverse("admin:customers_onboardingstepconfiguration_change", args=[config.pk]), {"stage": "BeforeDeposit"}
    )

    config.refresh_from_db()
    assert config.stage == "BeforeDeposit"
    assert Activity.objects.filter(action="onboarding.step_configured").count() == 1
