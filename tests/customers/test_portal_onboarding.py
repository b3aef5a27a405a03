"""Onboarding through the portal and the back office: stages, pending steps, forms, ensure_stage_complete."""

import pytest
from django.utils import timezone

from crm.customers import services
from crm.customers.exceptions import OnboardingIncomplete
from crm.customers.models import Customer, CustomerFieldConfiguration, OnboardingStepConfiguration
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.customers.portal import url

pytestmark = pytest.mark.django_db


def _stage(stage, *steps):
    OnboardingStepConfiguration.objects.filter(step__in=steps).update(stage=stage)


def test_every_seed_step_and_stage_is_configurable():
    assert sorted(OnboardingStepConfiguration.objects.values_list("step", flat=True)) == sorted(
        [
            "SignupDemoForm",
            "SignupRealForm",
            "CompleteAccountBeforeDepositForm",
            "CompleteAccountBeforeWithdrawalForm",
            "EmailConfirmation",
            "KYC",
            "PhoneConfirmation",
            "DisclaimerBeforeDeposit",
        ]
    )
    assert not OnboardingStepConfiguration.objects.exclude(stage=None).exists()


def test_pending_steps_of_a_stage_follow_what_the_client_did(api_client):
    _stage("BeforeDeposit", "KYC", "DisclaimerBeforeDeposit", "EmailConfirmation", "CompleteAccountBeforeDepositForm")
    CustomerFieldConfiguration.objects.filter(field="city").update(
        step="CompleteAccountBeforeDepositForm", required=True
    )
    customer = PortalCustomerFactory(confirmed_at=timezone.now(), city="")
    bearer(api_client, customer)

    before = api_client.get(url("onboarding-pending", "BeforeDeposit")).json()
    api_client.post(url("account-accept-deposit-disclaimer"))
    api_client.post(url("onboarding-forms", "CompleteAccountBeforeDepositForm"), {"city": "Leeds"}, format="json")
    after = api_client.get(url("onboarding-pending", "BeforeDeposit")).json()

    assert before == {
        "stage": "BeforeDeposit",
        "steps": ["CompleteAccountBeforeDepositForm", "KYC", "DisclaimerBeforeDeposit"],
    }
    assert after == {"stage": "BeforeDeposit", "steps": ["KYC"]}


def test_an_unknown_stage_is_refused(api_client):
    bearer(api_client, PortalCustomerFactory())

    response = api_client.get(url("onboarding-pending", "Whenever"))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_stage")


def test_ensure_stage_complete_refuses_naming_the_pending_steps():
    _stage("BeforeWithdrawal", "KYC", "PhoneConfirmation")
    customer = PortalCustomerFactory(kyc_status=Customer.KycStatus.APPROVED)

    with pytest.raises(OnboardingIncomplete) as refusal:
        services.ensure_stage_complete(customer, "BeforeWithdrawal")

    assert refusal.value.code == "onboarding_incomplete"
    assert refusal.value.status_code == 403
    assert refusal.value.steps == ["PhoneConfirmation"]
    services.ensure_stage_complete(customer, "BeforeDeposit")  # nothing configured there


def test_skipped_steps_are_not_pending():
    _stage("BeforeDeposit", "KYC")
    customer = PortalCustomerFactory(skipped_onboarding_steps=["KYC"])

    assert services.pending_steps(customer, "BeforeDeposit") == []


def test_form_configuration_is_public(api_client):
    CustomerFieldConfiguration.objects.filter(field="country").update(
        step="SignupRealForm", required=True, editable=False
    )

    response = api_client.get(url("onboarding-forms", "SignupRealForm"))

    assert response.status_code == 200
    assert response.json() == [
        {"field": "country", "step": "SignupRealForm", "required": True, "editable": False},
        {"field": "first_name", "step": "SignupRealForm", "required": True, "editable": True},
    ]


def test_submitting_a_form_fills_empty_fields_but_not_locked_ones(api_client):
    CustomerFieldConfiguration.objects.filter(field__in=["city", "country"]).update(
        step="CompleteAccountBeforeWithdrawalForm", required=True, editable=False
    )
    customer = PortalCustomerFactory(city="", country="GB")
    bearer(api_client, customer)
    form = url("onboarding-forms", "CompleteAccountBeforeWithdrawalForm")

    missing = api_client.post(form, {"country": "GB"}, format="json")
    locked = api_client.post(form, {"city": "Leeds", "country": "FR"}, format="json")
    ok = api_client.post(form, {"city": "Leeds"}, format="json")
    not_asked = api_client.post(form, {"postal_code": "LS1"}, format="json")

    assert missing.json()["error"]["fields"] == {"city": ["This field is required."]}
    assert (locked.status_code, locked.json()["error"]["code"]) == (400, "field_not_editable")
    assert ok.status_code == 200
    assert ok.json()["city"] == "Leeds"
    assert not_asked.status_code == 400


def test_submitting_a_form_needs_a_logged_in_client(api_client):
    response = api_client.post(url("onboarding-forms", "SignupRealForm"), {"city": "Leeds"}, format="json")

    assert response.status_code in (401, 403)


# Back office -------------------------------------------------------------------------------------


def test_staff_set_a_steps_stage(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    response = api_client.patch(
        "/api/v1/backoffice/onboarding-steps/KYC/", {"stage": "BeforeWithdrawal"}, format="json"
    )

    assert response.status_code == 200
    assert OnboardingStepConfiguration.objects.get(step="KYC").stage == "BeforeWithdrawal"


def test_staff_update_field_configurations_all_or_none(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)
    body = {
        "customer_field_configurations": [
            {"field": "phone", "step": "SignupRealForm", "required": True, "editable": True},
            {"field": "city", "step": "KYC", "required": True, "editable": True},
        ]
    }

    refused = api_client.put("/api/v1/backoffice/customer-field-configurations/bulk/", body, format="json")
    body["customer_field_configurations"].pop()
    accepted = api_client.put("/api/v1/backoffice/customer-field-configurations/bulk/", body, format="json")

    assert refused.status_code == 400
    assert accepted.status_code == 200
    assert CustomerFieldConfiguration.objects.get(field="phone").required is True


def test_a_sales_agent_cannot_configure_onboarding(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)

    response = api_client.patch("/api/v1/backoffice/onboarding-steps/KYC/", {"stage": "SignUp"}, format="json")

    assert response.status_code == 403
    assert OnboardingStepConfiguration.objects.get(step="KYC").stage is None
