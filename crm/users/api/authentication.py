from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from crm.core.i18n import activate_for_request
from crm.core.middleware import client_ip
from crm.users import services


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` for servers and staff tools; acts as the token's service account."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use `Token <key>`."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from exc
        try:
            token = services.authenticate_api_token(raw, ip=client_ip(request))
        except services.TokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "API token created in the admin: `Token <key>`.",
        }


class BearerApiTokenAuthentication(ApiTokenAuthentication):
    """`Authorization: Bearer <key>`: a staff API token where a trading platform's clients send their JWT (the
    platform paths of seed 001 served by the back office, e.g. its admin notifications)."""

    keyword = "Bearer"


class BearerApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerApiTokenAuthentication
    name = "PlatformBearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff API token created in the admin, sent as `Bearer <key>`.",
        }


class PortalJWTAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access token>` for portal clients; staff and service accounts are refused."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if user.is_staff or user.is_service_account:
            raise exceptions.AuthenticationFailed(_("This token is for portal clients only."), code="user_not_allowed")
        # Portal answers speak the client's language (the client record, reached by its reverse accessor so that
        # this layer imports nothing above it; views read the same cached `user.customer`).
        customer = getattr(user, "customer", None)
        request = getattr(self, "request", None)
        if customer is not None and request is not None:
            activate_for_request(request, customer.language)
        return user

    def authenticate(self, request):
        self.request = request
        return super().authenticate(request)


class PortalJWTScheme(OpenApiAuthenticationExtension):
    target_class = PortalJWTAuthentication
    name = "PortalJWT"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from the portal log-in: `Bearer <access>`.",
        }


def portal_token_user(raw: str):
    """The portal client of a raw access token and its expiry (epoch seconds), for callers without an HTTP request
    (the WebSocket handshake of crm.trading.live); `AuthenticationFailed` with the API's codes otherwise."""
    auth = PortalJWTAuthentication()
    token = auth.get_validated_token(raw.encode())
    return auth.get_user(token), int(token["exp"])
