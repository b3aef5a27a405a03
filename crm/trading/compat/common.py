"""What every 001 trader endpoint shares: the portal JWT, the `accountId` header, numbers as text, errors.

Errors keep the API's one body, `{"error": {"code", "message", "fields"}}` (the seed shows none): 400 for bad
input, 401 without a valid token, 404 for an `accountId` (or order, position, market) that is not the
caller's, 429 over the rate.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.request import Request

from crm.core.api.errors import ErrorSerializer
from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.trading.models import Instrument
from crm.users.api.authentication import PortalJWTAuthentication
from crm.wallets.models import Wallet

TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)


def account_header(*, required: bool = True) -> OpenApiParameter:
    return OpenApiParameter(
        "accountId",
        str,
        OpenApiParameter.HEADER,
        required=required,
        description="The trading account's number; one of the caller's own accounts.",
    )


ACCOUNT_HEADER = account_header()
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="No valid portal access token."),
    403: OpenApiResponse(ErrorSerializer, description="Not a portal client."),
    404: OpenApiResponse(ErrorSerializer, description="Not one of the caller's accounts or objects."),
}


def trader_view(
    methods: list[str],
    *,
    summary: str,
    description: str = "",
    account: bool = True,
    per_method: dict[str, dict[str, Any]] | None = None,
    **schema: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """An @api_view of the trader API: portal JWT, a portal client, the schema (with the accountId header).

    `per_method` replaces schema arguments for one method (a DELETE's body and answer beside a POST's)."""

    def wrap(function: Callable[..., Any]) -> Any:
        parameters = [*schema.pop("parameters", []), *([ACCOUNT_HEADER] if account else [])]
        responses = schema.pop("responses", {})
        if not isinstance(responses, dict):
            responses = {200: responses}
        view = api_view(methods)(
            permission_classes([IsPortalCustomer])(authentication_classes([PortalJWTAuthentication])(function))
        )
        prefix = function.__module__.rsplit(".", 1)[-1]
        for method in methods:
            own = {**schema, **(per_method or {}).get(method, {})}
            answers = own.pop("responses", responses)
            view = extend_schema(
                methods=[method],
                operation_id=f"trader_{prefix}_{function.__name__}_{method.lower()}",
                tags=["trader (001)"],
                summary=summary,
                description=description or summary,
                parameters=parameters,
                responses={**(answers if isinstance(answers, dict) else {200: answers}), **ERRORS},
                **own,
            )(view)
        return view

    return wrap


def trading_account(request: Request) -> Wallet:
    """The caller's trading account named by the `accountId` header; another's or an unknown one is a 404."""
    number = request.headers.get("accountId", "").strip()
    if not number:
        raise exceptions.ValidationError({"accountId": [_("This header is required.")]})
    account = (
        Wallet.objects.select_related("currency")
        .filter(customer=portal_customer(request), number=number, type__in=TRADING_TYPES)
        .first()
    )
    if account is None:
        raise exceptions.NotFound(_("There is no such trading account."))
    return account


def optional_account(request: Request) -> Wallet | None:
    return trading_account(request) if request.headers.get("accountId", "").strip() else None


def market(symbol: str, *, market_type: str | None = None) -> Instrument:
    """An enabled instrument by symbol (of the given market type); otherwise a 404."""
    found = Instrument.objects.enabled().select_related("quote").filter(symbol=symbol).first()
    if found is None or (market_type is not None and found.market_type != market_type):
        raise exceptions.NotFound(_("There is no such market."))
    return found


def text(value: Decimal | int | None) -> str | None:
    """A number as the seed's decimal text: plain notation, no trailing zeros ("1.5", "100", "0")."""
    if value is None:
        return None
    number = Decimal(value)
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def valid(serializer_class: Any, data: Any, **context: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
