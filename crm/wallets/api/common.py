"""Pieces shared by the back-office and portal wallet endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from crm.core.api.errors import ErrorSerializer
from crm.core.api.permissions import StaffModelPermissions
from crm.wallets import selectors
from crm.wallets.statements import XLSX, statement_filename, statement_xlsx

if TYPE_CHECKING:
    from rest_framework.views import APIView

    from crm.wallets.models import Wallet

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
MONEY_ERRORS = {**ERRORS, 409: ErrorSerializer}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string; repeating a request with the same key returns the first result.",
)
STATEMENT_PARAMS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, required=True, description="From (inclusive)"),
    OpenApiParameter("end", OpenApiTypes.DATETIME, required=True, description="To (exclusive)"),
]
XLSX_RESPONSE = {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The statement as XLSX.")}


class ActionPermissions(BasePermission):
    """Model permissions for the CRUD routes; each extra action names the permissions it needs."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None) or "")
        if perms is None:
            return StaffModelPermissions().has_permission(request, view)
        return user.has_perms(perms)


def request_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100:
        raise serializers.ValidationError({"Idempotency-Key": [_("At most 100 characters.")]})
    return key


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> Any:
    """The validated data: a dict, or a list of them with `many=True`."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def statement_response(wallet: Wallet, request: Request, *, as_xlsx: bool) -> Any:
    from crm.wallets.api.serializers import StatementQuerySerializer, StatementSerializer

    period = validated(StatementQuerySerializer, request.query_params)
    statement = selectors.statement(wallet, start=period["start"], end=period["end"])
    if not as_xlsx:
        return StatementSerializer(statement).data
    response = HttpResponse(statement_xlsx(statement), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
    return response
