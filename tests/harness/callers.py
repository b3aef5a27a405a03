"""Who knocks: functions that set an `APIClient` up as a caller who must not reach the victim's objects.

Each caller gets the client, the `Victim` (some callers are the victim's own credentials gone bad: an
expired token, a revoked key) and the route (the bucket API reads its token without the `Token` prefix).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from crm.affiliates import services as affiliate_services
from crm.affiliates.compat.authentication import RawApiTokenAuthentication
from crm.core.roles import Role
from tests.affiliates.api_factories import log_in, portal_affiliate, with_key
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.harness.forbidden import Victim
from tests.harness.routes import Route
from tests.sales.factories import DeskFactory
from tests.users.factories import ApiTokenFactory, StaffUserFactory

Caller = Callable[[APIClient, Victim, Route], None]

# Permissions that widen what a staff member sees rather than what they may do. The "scoped staff" caller
# holds every other permission, so its refusals come from row scoping alone, never from a missing permission.
SCOPE_WIDENING = {
    "customers.view_all_customers": "every client, their wallets, transactions, documents and whitelists",
    "sales.view_all_leads": "every lead and every lead import",
    "affiliates.view_all_affiliates": "every affiliate, its commission records and payout requests",
    "core.view_all_exportjobs": "every staff member's export jobs",
    "reports.view_all_reportruns": "every staff member's report runs and report templates",
    "wallets.view_journalentry": "the whole double-entry journal (it has no finer scoping)",
}
ALLOWED_NETWORK = "203.0.113.0/24"
OTHER_ADDRESS = "198.51.100.7"


def _token_header(client: APIClient, route: Route, raw: str) -> None:
    raw_style = RawApiTokenAuthentication in route.authentication_classes
    client.credentials(HTTP_AUTHORIZATION=raw if raw_style else f"Token {raw}")


def _admin_role() -> Group:
    return Group.objects.get(name=str(Role.ADMIN))


# Back office -------------------------------------------------------------------------------------------


def _all_but_scope_widening(user, *, keep: tuple[str, ...] = ()) -> None:
    permissions = Permission.objects.all()
    for name in SCOPE_WIDENING.keys() - set(keep):
        app_label, codename = name.split(".")
        permissions = permissions.exclude(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(permissions)


def agent_outside_desk(client: APIClient, victim: Victim, route: Route) -> None:
    """A sales and retention agent of another desk, logged in to the admin (session)."""
    agent = StaffUserFactory(roles=[Role.SALES_AGENT, Role.RETENTION_AGENT])
    DeskFactory(members=[agent])
    client.force_login(agent)


def desk_colleague(client: APIClient, victim: Victim, route: Route) -> None:
    """An agent of the victim agent's own desk, who is not the owner (nor the desk manager)."""
    agent = StaffUserFactory(roles=[Role.SALES_AGENT, Role.RETENTION_AGENT])
    victim.desk.members.add(agent)
    client.force_login(agent)


def scoped_staff(client: APIClient, victim: Victim, route: Route) -> None:
    """Staff holding every permission except the scope-widening ones, in a desk of their own."""
    user = StaffUserFactory(roles=[Role.SALES_AGENT])
    _all_but_scope_widening(user)
    DeskFactory(members=[user])
    client.force_login(user)


def deactivated_owner(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim agent themselves, who owns the object, after their account was deactivated (session)."""
    _all_but_scope_widening(victim.agent)
    client.force_login(victim.agent)
    type(victim.agent).objects.filter(pk=victim.agent.pk).update(is_active=False)


def expired_token(client: APIClient, victim: Victim, route: Route) -> None:
    """An Admin-role API token whose expiry has passed (it would see everything)."""
    token = ApiTokenFactory(role=_admin_role(), expires_at=timezone.now() + dt.timedelta(minutes=1))
    type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    _token_header(client, route, token.raw_key)


def wrong_ip_token(client: APIClient, victim: Victim, route: Route) -> None:
    """An Admin-role API token allowed from one network, used from another address."""
    token = ApiTokenFactory(role=_admin_role(), allowed_ips=[ALLOWED_NETWORK])
    _token_header(client, route, token.raw_key)
    client.defaults["REMOTE_ADDR"] = OTHER_ADDRESS


def anonymous(client: APIClient, victim: Victim, route: Route) -> None:
    """No credentials at all."""


def client_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """A portal client with a valid access token (clients have no business in the back office)."""
    bearer(client, PortalCustomerFactory())


# Portal ------------------------------------------------------------------------------------------------


def another_client(client: APIClient, victim: Victim, route: Route) -> None:
    """Another active portal client, with a valid access token."""
    bearer(client, PortalCustomerFactory())


def expired_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim's own access token, expired (on the affiliate API: the victim affiliate's)."""
    owner = victim.affiliate.customer if route.audience == "affiliate" else victim.customer
    token = AccessToken.for_user(owner.user)
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=2), lifetime=dt.timedelta(hours=1))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")


def staff_token(client: APIClient, victim: Victim, route: Route) -> None:
    """A valid Admin-role API token: staff act through the back office, never as a client."""
    _token_header(client, route, ApiTokenFactory(role=_admin_role()).raw_key)


def banned_owner_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim client's own valid access token, after the client was banned (affiliate API: the affiliate's)."""
    owner = victim.affiliate.customer if route.audience == "affiliate" else victim.customer
    bearer(client, owner)
    type(owner).objects.filter(pk=owner.pk).update(status=type(owner).Status.BANNED)


# Affiliate ---------------------------------------------------------------------------------------------


def another_affiliate_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """An affiliate of another tree, logged in to the portal."""
    log_in(client, portal_affiliate())


def another_affiliate_key(client: APIClient, victim: Victim, route: Route) -> None:
    """An affiliate of another tree, calling with its partner key."""
    with_key(client, portal_affiliate())


def sub_affiliate_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """A sub-IB below the victim affiliate: it sees its own tree, not its master's."""
    sub = AffiliateFactory(customer=PortalCustomerFactory(), parent=victim.affiliate)
    log_in(client, sub)


def plain_client_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim affiliate's own referral, a client who is not an affiliate."""
    referral = victim.referral
    if referral.user_id is None:
        referral = PortalCustomerFactory(introducer=victim.affiliate.customer)
    bearer(client, referral)


def revoked_key(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim affiliate's own partner key, revoked."""
    api_key, raw = affiliate_services.create_api_key(victim.affiliate, actor=None)
    affiliate_services.revoke_api_key(api_key, actor=None)
    client.credentials(HTTP_X_AFFILIATE_KEY=raw)


def banned_owner_key(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim affiliate's own partner key, after its client account was banned."""
    with_key(client, victim.affiliate)
    customer = victim.affiliate.customer
    type(customer).objects.filter(pk=customer.pk).update(status=type(customer).Status.BANNED)


def suspended_owner_jwt(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim affiliate's own portal login, after the affiliate was suspended."""
    log_in(client, victim.affiliate)
    affiliate_services.suspend_affiliate(victim.affiliate, reason="Matrix", actor=None)


def suspended_owner_key(client: APIClient, victim: Victim, route: Route) -> None:
    """The victim affiliate's own partner key, after the affiliate was suspended."""
    with_key(client, victim.affiliate)
    affiliate_services.suspend_affiliate(victim.affiliate, reason="Matrix", actor=None)


# The owner, for the control that the victim's objects are reachable at all: a matrix whose builders made
# the wrong object (or none) would pass for the wrong reason.


def owner(client: APIClient, victim: Victim, route: Route) -> None:
    """Who may reach the victim's object: its agent (every permission but the "all rows" ones), its client, its
    affiliate."""
    if route.audience == "portal" or route.namespace == "history:history-trader":
        bearer(client, victim.customer)
    elif route.audience == "affiliate":
        log_in(client, victim.affiliate)
    else:
        _all_but_scope_widening(victim.agent, keep=("wallets.view_journalentry",))
        client.force_login(victim.agent)


CALLERS: dict[str, Caller] = {
    "agent-outside-desk": agent_outside_desk,
    "desk-colleague": desk_colleague,
    "scoped-staff": scoped_staff,
    "expired-token": expired_token,
    "wrong-ip-token": wrong_ip_token,
    "anonymous": anonymous,
    "client-jwt": client_jwt,
    "another-client": another_client,
    "expired-jwt": expired_jwt,
    "staff-token": staff_token,
    "another-affiliate-jwt": another_affiliate_jwt,
    "another-affiliate-key": another_affiliate_key,
    "sub-affiliate-jwt": sub_affiliate_jwt,
    "plain-client-jwt": plain_client_jwt,
    "revoked-key": revoked_key,
    "deactivated-owner": deactivated_owner,
    "banned-owner-jwt": banned_owner_jwt,
    "banned-owner-key": banned_owner_key,
    "suspended-owner-jwt": suspended_owner_jwt,
    "suspended-owner-key": suspended_owner_key,
    "owner": owner,
    "owner-foreign-child": owner,
}

# Who tries every object route of an audience.
BY_AUDIENCE: dict[str, tuple[str, ...]] = {
    "backoffice": (
        "agent-outside-desk",
        "scoped-staff",
        "deactivated-owner",
        "expired-token",
        "wrong-ip-token",
        "anonymous",
        "client-jwt",
    ),
    "portal": ("another-client", "banned-owner-jwt", "expired-jwt", "anonymous", "staff-token"),
    "affiliate": (
        "another-affiliate-jwt",
        "another-affiliate-key",
        "sub-affiliate-jwt",
        "plain-client-jwt",
        "banned-owner-jwt",
        "banned-owner-key",
        "suspended-owner-jwt",
        "suspended-owner-key",
        "expired-jwt",
        "revoked-key",
        "anonymous",
    ),
    "public": ("expired-token", "wrong-ip-token", "anonymous"),
}

# Credentials refused whoever presents them: what exempt (not object-scoped) routes are tried with.
REFUSED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "backoffice": ("expired-token", "wrong-ip-token"),
    "portal": ("expired-jwt",),
    "affiliate": ("expired-jwt", "revoked-key"),
    "public": ("expired-token", "wrong-ip-token"),
}
