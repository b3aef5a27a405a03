"""Who may call the affiliate API: an active affiliate, by its portal login or its partner key."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from crm.affiliates.api.authentication import AffiliateKeyCredentials
from crm.affiliates.models import Affiliate
from crm.core.actors import user_or_none


def _resolve(request: Request) -> Affiliate | None:
    if isinstance(request.auth, AffiliateKeyCredentials):
        return request.auth.affiliate
    user = request.user
    if not (user and user.is_authenticated and user.is_active) or user.is_staff or user.is_service_account:
        return None
    return (
        Affiliate.objects.select_related("customer")
        .filter(customer__user=user, status=Affiliate.Status.ACTIVE)
        .exclude(customer__status__in=["banned", "deleted"])
        .first()
    )


def current_affiliate(request: Request) -> Affiliate:
    """The calling affiliate; every query of the affiliate API is scoped by it."""
    if not hasattr(request, "_affiliate"):
        request._affiliate = _resolve(request)  # type: ignore[attr-defined]  # a per-request cache
    affiliate: Affiliate = request._affiliate  # type: ignore[attr-defined]  # the per-request cache set above
    return affiliate


class IsAffiliate(BasePermission):
    """An active affiliate (pending and suspended ones are refused) calling for itself."""

    message = _("This endpoint is for active affiliates.")

    def has_permission(self, request: Request, view) -> bool:
        return current_affiliate(request) is not None


def actor_of(request: Request):
    """The user to write in the activity log: the affiliate's login, or nobody for a key without one."""
    return user_or_none(request.user)
