"""How affiliates call the affiliate API: the portal JWT of their client login, or a partner API key.

Partner systems send `X-Affiliate-Key: <key>` (a key from `POST /api/v1/affiliate/keys/`, shown once and
stored hashed). Either way the request acts for one active affiliate, read by `current_affiliate(request)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from crm.affiliates.models import Affiliate
from crm.affiliates.services import program
from crm.core.i18n import activate_for_request
from crm.core.middleware import client_ip

KEY_HEADER = "X-Affiliate-Key"


@dataclass(frozen=True)
class AffiliateKeyCredentials:
    """`request.auth` of a partner-key request: the affiliate the key belongs to."""

    affiliate: Affiliate


class AffiliateKeyAuthentication(authentication.BaseAuthentication):
    """`X-Affiliate-Key: <key>`: acts for the key's affiliate (active, key not revoked)."""

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_AFFILIATE_KEY", "").strip()
        if not raw:
            return None
        affiliate = program.affiliate_for_api_key(raw, ip=client_ip(request))
        if affiliate is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked affiliate key."), code="invalid_affiliate_key")
        activate_for_request(request, affiliate.customer.language)
        user = affiliate.customer.user if affiliate.customer.user_id else AnonymousUser()
        return user, AffiliateKeyCredentials(affiliate=affiliate)

    def authenticate_header(self, request) -> str:
        return KEY_HEADER


class AffiliateKeyScheme(OpenApiAuthenticationExtension):
    target_class = AffiliateKeyAuthentication
    name = "AffiliateKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": KEY_HEADER,
            "description": "Partner API key of an affiliate (generated once in the affiliate portal).",
        }
