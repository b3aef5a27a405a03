"""Helpers of the affiliate API tests: affiliates that can log in, their credentials, the buckets permission."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from crm.affiliates import services
from crm.affiliates.models import Bucket
from crm.core.roles import Role
from tests.affiliates.factories import AffiliateFactory
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.users.factories import ApiTokenFactory

BUCKETS_PERMISSION = ("affiliates", "view_own_buckets")


def portal_affiliate(**kwargs):
    """An active affiliate whose client has a portal login."""
    kwargs.setdefault("customer", PortalCustomerFactory())
    return AffiliateFactory(**kwargs)


def log_in(api_client, affiliate) -> None:
    """The API client calls as the affiliate, with a real portal JWT."""
    bearer(api_client, affiliate.customer)


def with_key(api_client, affiliate) -> str:
    """The API client calls as the affiliate's system, with a fresh partner key; returns the raw key."""
    _, raw = services.create_api_key(affiliate, actor=None)
    api_client.credentials(HTTP_X_AFFILIATE_KEY=raw)
    return raw


def buckets_permission() -> Permission:
    """ "Buckets: View Own" (affiliates.view_own_buckets)."""
    content_type = ContentType.objects.get_for_model(Bucket)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=BUCKETS_PERMISSION[1], defaults={"name": "Buckets: View Own"}
    )
    return permission


def buckets_token(*, granted: bool = True):
    """An API token whose role holds "Buckets: View Own" (or a role without it)."""
    if granted:
        role = Group.objects.get(name=str(Role.AFFILIATE_MANAGER))
        role.permissions.add(buckets_permission())
        return ApiTokenFactory(role=role)
    return ApiTokenFactory(role=Group.objects.get(name=str(Role.SALES_AGENT)))
