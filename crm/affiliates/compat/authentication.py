"""Credentials of the compatibility endpoints, read as the seed sends them; failures are answered by the views.

Both authenticate without raising, so each view can answer a refusal with its seed's exact body.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication

from crm.affiliates.models import Affiliate
from crm.affiliates.services import program
from crm.core.middleware import client_ip
from crm.users import services as user_services
from crm.users.models import ApiToken


def _api_token(raw: str, request) -> ApiToken | None:
    if not raw:
        return None
    try:
        return user_services.authenticate_api_token(raw, ip=client_ip(request))
    except user_services.TokenRefused:
        return None


class RawApiTokenAuthentication(authentication.BaseAuthentication):
    """003 Buckets API: `Authorization: <API_TOKEN>`, a foundation API token sent as-is, without a prefix."""

    def authenticate(self, request):
        raw = request.META.get("HTTP_AUTHORIZATION", "").strip()
        token = _api_token(raw, request) if raw and " " not in raw else None
        return (token.user, token) if token is not None else None


class RawApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = RawApiTokenAuthentication
    name = "BucketsApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "API token sent as-is (no Bearer prefix); its role needs 'Buckets: View Own'.",
        }


@dataclass(frozen=True)
class SignupCaller:
    """Who called the Traders Room sign-up: a platform API token, or an affiliate's partner key."""

    token: ApiToken | None = None
    affiliate: Affiliate | None = None


class SignupKeyAuthentication(authentication.BaseAuthentication):
    """003 Traders Room: `x-api-key`, a platform API token allowed to add clients, or an affiliate's key."""

    PERMISSION = "customers.add_customer"

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw:
            return None
        token = _api_token(raw, request)
        if token is not None:
            return (token.user, SignupCaller(token=token)) if token.user.has_perm(self.PERMISSION) else None
        affiliate = program.affiliate_for_api_key(raw, ip=client_ip(request))
        if affiliate is None:
            return None
        return affiliate.customer.user or AnonymousUser(), SignupCaller(affiliate=affiliate)


class SignupKeyScheme(OpenApiAuthenticationExtension):
    target_class = SignupKeyAuthentication
    name = "TradersRoomApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "A platform API token whose role may add clients, or an affiliate's partner key.",
        }
