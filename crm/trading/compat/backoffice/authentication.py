"""Seed 001's `Authorization: Bearer JWT` mapped onto the staff API tokens (crm.users).

The token is sent as `Bearer <key>` (the seed's form) or `Token <key>` (the back-office API's); each seed
"Required operation" maps onto the Django permissions of the staff roles (dealers hold the settings ones).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from crm.core.middleware import client_ip
from crm.users import services as user_services

KEYWORDS = (b"bearer", b"token")

# Seed 001 operation -> the Django permissions it needs.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "view-common": ("trading.view_asset", "trading.view_marketcategory", "trading.view_instrument"),
    "manage-assets": ("trading.add_asset", "trading.change_asset"),
    "view-commission-rules": ("trading.view_commissionrule",),
    "view-transfers": (),  # the transfers views add the wallets' and clients' view permissions
    "manage-accounts": ("customers.view_customer", "wallets.add_wallet"),
    # Finance's: entering movements by hand and approving withdrawals (four eyes still applies).
    "manage-transfers": (
        "customers.view_customer",
        "wallets.view_transaction",
        "wallets.create_manual_transaction",
        "wallets.approve_transaction",
    ),
    # The history server (crm.reports.history): read models over the clients the caller may see.
    "view-active-accounts": ("trading.view_deal",),
    "view-billing-info": ("trading.view_deal",),
    "view-balances": ("wallets.view_wallet", "customers.view_customer"),
    "view-commissions": ("trading.view_deal", "customers.view_customer"),
    "view-markup-revenue": ("trading.view_deal", "trading.view_grouptradingsettings"),
    "view-orders": ("trading.view_order", "customers.view_customer"),
    "view-trades": ("trading.view_deal", "customers.view_customer"),
    # Report jobs over those read models (crm.reports.history.reports); each source also needs its own operation.
    "view-reports": ("reports.view_reportrun",),
    "manage-reports": ("reports.view_reportrun", "reports.add_reportrun", "reports.delete_reportrun"),
    "manage-charts": ("trading.view_instrument",),
    "manage-commission-rules": (
        "trading.add_commissionrule",
        "trading.change_commissionrule",
        "trading.delete_commissionrule",
    ),
    "manage-markets": ("trading.view_instrument", "trading.add_instrument", "trading.change_instrument"),
    "manage-markets-categories": (
        "trading.add_marketcategory",
        "trading.change_marketcategory",
        "trading.delete_marketcategory",
    ),
}


class BackApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <API token>` (or `Token <API token>`): a staff API token, acting as its account."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use `Bearer <token>`."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from exc
        try:
            token = user_services.authenticate_api_token(raw, ip=client_ip(request))
        except user_services.TokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class BackApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = BackApiTokenAuthentication
    name = "BackApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff API token created in the admin: `Bearer <key>` (or `Token <key>`).",
        }


def operation(name: str, *extra: str) -> type[permissions.BasePermission]:
    """The permission class of one seed operation (and `extra` permissions): an active staff account holding them."""
    perms = (*OPERATIONS[name], *extra)

    class Operation(permissions.BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.is_active and user.is_staff and user.has_perms(perms))

    Operation.__name__ = "Operation_" + name.replace("-", "_")
    return Operation
