"""The partner call of 000 "AffiliateCreateCustomer" in this API's spelling (snake_case).

Seed field -> ours: externalId -> external_id, firstname -> first_name, lastname -> last_name,
mobilenumber -> phone, communicationLanguage -> language, skipOnboardingSteps -> skip_onboarding_steps;
email, password, wtreferrer, country and source keep their names.
"""

from __future__ import annotations

from typing import Any

from django_countries.serializer_fields import CountryField
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from crm.customers.models import OnboardingStep

PROFILE_FIELDS = ("first_name", "last_name", "phone", "country", "language")
ATTRIBUTION_FIELDS = ("wtreferrer", "source", "campaign", "sub_id", "external_id")


class PartnerCustomerInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True, help_text="Your system's id of the client."
    )
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = PhoneNumberField(required=False, allow_blank=True)
    email = serializers.EmailField()
    password = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, write_only=True, help_text="Generated when not given."
    )
    wtreferrer = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, help_text="Your or a sub-IB's referral key."
    )
    country = CountryField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True)
    skip_onboarding_steps = serializers.ListField(
        child=serializers.ChoiceField(choices=OnboardingStep.choices), required=False
    )
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)  # type: ignore[assignment]  # a declared field named like a Field attribute (DRF allows it)
    campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sub_id = serializers.CharField(max_length=255, required=False, allow_blank=True)


def profile_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in PROFILE_FIELDS if data.get(name) not in (None, "")}


def attribution_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ATTRIBUTION_FIELDS if data.get(name) not in (None, "")}


class PartnerCustomerCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The client's id.")
    success = serializers.BooleanField()
    redirect_url = serializers.URLField(help_text="Logs the client into the portal (auto-login, once).")
    deposit_url = serializers.URLField(help_text="The same auto-login, landing on the deposit page.")
    autologin_expires_at = serializers.DateTimeField()
