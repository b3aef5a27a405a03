"""Pieces every affiliate-portal view shares: authentication, the caller, the period, error responses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from crm.affiliates.api.authentication import AffiliateKeyAuthentication
from crm.affiliates.api.permissions import IsAffiliate, current_affiliate
from crm.affiliates.api.serializers.portal import PeriodQuerySerializer
from crm.affiliates.models import Affiliate
from crm.affiliates.selectors import Period
from crm.core.api.errors import ErrorSerializer
from crm.core.exceptions import DomainError
from crm.users.api.authentication import PortalJWTAuthentication

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass  # the stubs' name for what APIView accepts

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
READ_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer}
NOT_FOUND = {404: ErrorSerializer}
PERIOD_PARAMETERS = [
    OpenApiParameter("start", dt.date, description="First day (default: the first of this month)."),
    OpenApiParameter("end", dt.date, description="Last day, included (default: today)."),
]


class AffiliateAPIMixin:
    """Affiliate API views: portal JWT or `X-Affiliate-Key`, an active affiliate, queries scoped to it."""

    authentication_classes: Sequence[type[BaseAuthentication]] = (PortalJWTAuthentication, AffiliateKeyAuthentication)
    permission_classes: Sequence[_PermissionClass] = (IsAffiliate,)

    @property
    def affiliate(self) -> Affiliate:
        return current_affiliate(self.request)  # type: ignore[attr-defined]  # mixed into an APIView

    def get_serializer_context(self) -> dict:
        context: dict = super().get_serializer_context()  # type: ignore[misc]  # mixed into a GenericAPIView
        affiliate = current_affiliate(self.request) if hasattr(self, "request") else None
        context["show_contact_details"] = bool(affiliate and affiliate.show_contact_details)
        return context


def period_of(request: Request) -> Period:
    """The period of `?start=&end=` (dates, end included), by default the current month up to today."""
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    today = timezone.localdate()
    start = query.validated_data.get("start") or today.replace(day=1)
    end = query.validated_data.get("end") or today
    return Period(
        start=timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        end=timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )


@contextmanager
def field_names(renames: dict[str, str]) -> Iterator[None]:
    """Report a service's field errors under this API's field names (the services use the seed's spelling)."""
    try:
        yield
    except DomainError as exc:
        exc.fields = {renames.get(key, key): value for key, value in (exc.fields or {}).items()}
        raise
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise DjangoValidationError(
                {renames.get(key, key): value for key, value in exc.error_dict.items()}
            ) from exc
        raise
