"""Seed 001 "History server" at its paths (`/api/...`): back-office read models, the chart, a trader's order history.

Staff call the read models with a staff API token (`Authorization: Bearer <key>`, as the seed does) or their admin
session; each seed operation maps onto permissions (`crm.trading.compat.backoffice.authentication.OPERATIONS`),
and every figure covers the clients the back office's own reports count for the caller (`crm.reports.scope`:
everyone, a desk manager's desks, or an agent's own clients). The query language and its fields per source are in
`crm.reports.history.query` and the schema; what each figure counts is in `crm.reports.history.sources`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core.api.errors import ErrorSerializer
from crm.customers.models import Customer
from crm.reports.history import chart, query, sources
from crm.reports.history import serializers as s
from crm.reports.history.numbers import ExactNumbersRenderer, rates_to_root, root_asset
from crm.reports.scope import scope_for
from crm.trading.compat.backoffice.authentication import BackApiTokenAuthentication, operation
from crm.trading.compat.backoffice.transfers import VIEW_TRANSFERS
from crm.trading.compat.common import valid
from crm.trading.models import Instrument
from crm.users.requests import staff_user

TAGS = ["history server (seed 001)"]
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class HistoryView(APIView):
    authentication_classes = [BackApiTokenAuthentication, SessionAuthentication]
    renderer_classes = [ExactNumbersRenderer]


def _fields_text(source: sources.Source) -> str:
    listed = ", ".join(f"`{name}` ({field.kind})" for name, field in source.fields.items())
    return f"Filter fields: {listed}. Operators per kind and the sort rules: see the history query language."


def source_view(
    source: sources.Source,
    *,
    name: str,
    op: str,
    extra: tuple[str, ...] = (),
    summary: str,
    description: str,
    shape: str,
    row: type[serializers.Serializer[Any]],
) -> type[HistoryView]:
    """A POST read model. `shape`: `limited` ({data, limit{isExceeded}}), `total` ({total, data}, paged, sorted),
    `paged` ({data}, paged, sorted), `array` (a bare array, paged, sorted) or `all` ({data}, every row)."""
    request_serializer = {
        "limited": s.LimitedRequestSerializer,
        "all": s.FiltersRequestSerializer,
    }.get(shape, s.PagedRequestSerializer)
    response: Any
    if shape == "limited":
        response = s.limited_serializer(f"{name}Response", row)
    elif shape == "array":
        response = row(many=True)
    else:
        response = s.data_serializer(f"{name}Response", row, total=shape == "total")

    class View(HistoryView):
        permission_classes = [operation(op, *extra)]

        @extend_schema(
            tags=TAGS, summary=summary, description=f"{description}\n\n{_fields_text(source)}",
            operation_id=f"history_{name[0].lower()}{name[1:]}", request=request_serializer,
            responses={200: response, **ERRORS},
        )  # fmt: skip
        def post(self, request: Request) -> Response:
            values = valid(request_serializer, request.data)
            where = query.conditions(source.fields, values["filters"])
            rows = source.build(scope_for(staff_user(request)), where, rates_to_root())
            if shape == "limited":
                limit = values["limit"]
                found = sources.rows_of(source, rows.order_by(*source.default_order)[: limit + 1])
                return Response({"data": found[:limit], "limit": {"isExceeded": len(found) > limit}})
            if shape == "all":
                return Response({"data": sources.rows_of(source, rows.order_by(*source.default_order))})
            ordered = rows.order_by(*query.ordering(source.sortable, values["sort"], source.default_order))
            page = sources.rows_of(source, ordered[values["offset"] : values["offset"] + values["limit"]])
            if shape == "total":
                return Response({"total": rows.count(), "data": page})
            return Response(page if shape == "array" else {"data": page})

    View.__name__ = View.__qualname__ = f"History{name}View"
    return View


TRADE_ROW = s.row_serializer("HistoryTradeRow", sources.TRADE_KEYS)
ORDER_ROW = s.row_serializer("HistoryOrderRow", sources.ORDER_KEYS)
BALANCE_ROW = s.row_serializer("HistoryUserBalanceRow", sources.USER_BALANCES.keys)
CLIENT_STATUS = {"status": s.CLIENT_STATUS_CHOICES}
TRANSFER_CHOICES = {key: s.choices_of(values) for key, values in s.TRANSFER_CHOICES.items()}
FILTERED = "Filtered by `filters[]`."
CUT = "Executions of live accounts by `filters[]` (e.g. `createdAt` for a period), grouped"

TradesView = source_view(
    sources.TRADES, name="Trades", op="view-trades", summary="Trades (executions) of all clients",
    description=f"Newest first. {FILTERED}", shape="limited", row=TRADE_ROW,
)  # fmt: skip
UnsolicitedTradesView = source_view(
    sources.UNSOLICITED_TRADES, name="UnsolicitedTrades", op="view-trades",
    summary="Trades from the liquidity provider with no matching request",
    description="Always empty on the built-in platform, which routes no order to a liquidity provider.",
    shape="limited", row=s.row_serializer("HistoryUnsolicitedTradeRow", sources.UNSOLICITED_KEYS),
)  # fmt: skip
ExternalOrdersView = source_view(
    sources.EXTERNAL_ORDERS, name="ExternalOrders", op="view-orders",
    summary="Orders routed to liquidity providers",
    description="Always empty on the built-in platform, which routes no order to a liquidity provider.",
    shape="limited", row=s.row_serializer("HistoryExternalOrderRow", sources.EXTERNAL_ORDER_KEYS),
)  # fmt: skip
OrdersView = source_view(
    sources.ORDERS, name="Orders", op="view-orders", summary="Order history of all clients",
    description=f"Newest first. {FILTERED}", shape="limited", row=ORDER_ROW,
)  # fmt: skip
OpenOrdersView = source_view(
    sources.OPEN_ORDERS, name="OpenOrders", op="view-orders", summary="Open orders of all clients",
    description=f"Working limit and stop orders, newest first unless `sort` says otherwise; `total` counts them all. "
    f"{FILTERED}", shape="total", row=ORDER_ROW,
)  # fmt: skip
TransfersView = source_view(
    sources.TRANSFERS, name="Transfers", op="view-transfers", extra=VIEW_TRANSFERS,
    summary="Transfers (deposits and withdrawals) of all clients",
    description=f"Newest first; amounts in the asset and in the root asset at today's rate. {FILTERED}",
    shape="limited", row=s.row_serializer("HistoryTransferRow", sources.TRANSFER_KEYS, **TRANSFER_CHOICES),
)  # fmt: skip
UserBalancesView = source_view(
    sources.USER_BALANCES, name="UserBalances", op="view-balances", summary="Balances per user and asset",
    description=f"Live wallets and accounts summed per client and currency. {FILTERED}", shape="all", row=BALANCE_ROW,
)  # fmt: skip
AccountBalancesView = source_view(
    sources.ACCOUNT_BALANCES, name="AccountBalances", op="view-balances", summary="Balances per account and asset",
    description=f"One row per live wallet or account. {FILTERED}", shape="all",
    row=s.row_serializer("HistoryAccountBalanceRow", sources.ACCOUNT_BALANCES.keys),
)  # fmt: skip
CommissionsAccountsAssetsView = source_view(
    sources.COMMISSIONS_ACCOUNTS_ASSETS, name="CommissionsAccountsAssets", op="view-commissions",
    summary="Commission per account and asset",
    description=f"{CUT} per account; `totalAssetAmount` is the account's balance (with money on hold).",
    shape="all", row=s.row_serializer("HistoryCommissionAccountAssetRow", sources.COMMISSIONS_ACCOUNTS_ASSETS.keys),
)  # fmt: skip
CommissionsUsersAssetsView = source_view(
    sources.COMMISSIONS_USERS_ASSETS, name="CommissionsUsersAssets", op="view-commissions",
    summary="Commission per user and asset",
    description=f"{CUT} per client and account currency; `totalAssetAmount` is the client's balance in it.",
    shape="all", row=s.row_serializer("HistoryCommissionUserAssetRow", sources.COMMISSIONS_USERS_ASSETS.keys),
)  # fmt: skip
CommissionsUsersView = source_view(
    sources.COMMISSIONS_USERS, name="CommissionsUsers", op="view-commissions", summary="Commission per user",
    description=f"{CUT} per client: commissions and traded volume in the root asset, and the client's balance.",
    shape="paged", row=s.row_serializer("HistoryCommissionUserRow", sources.COMMISSIONS_USERS.keys, **CLIENT_STATUS),
)  # fmt: skip
CommissionsAccountsView = source_view(
    sources.COMMISSIONS_ACCOUNTS, name="CommissionsAccounts", op="view-commissions", summary="Commission per account",
    description=f"{CUT} per account: commissions and traded volume in the root asset, and its balance.",
    shape="paged", row=s.row_serializer("HistoryCommissionAccountRow", sources.COMMISSIONS_ACCOUNTS.keys),
)  # fmt: skip
CommissionsAssetsView = source_view(
    sources.COMMISSIONS_ASSETS, name="CommissionsAssets", op="view-commissions", summary="Commission per asset",
    description=f"{CUT} per account currency; `totalAssetAmount` is what the clients in view hold in it.",
    shape="all", row=s.row_serializer("HistoryCommissionAssetRow", sources.COMMISSIONS_ASSETS.keys),
)  # fmt: skip
MarkupRevenueView = source_view(
    sources.MARKUP_REVENUE, name="MarkupRevenue", op="view-markup-revenue",
    summary="Markup and commission revenue per market",
    description=f"{CUT} per market: executions, base volume, and in the root asset the volume, the markup the "
    "clients paid and the commissions.",
    shape="array", row=s.row_serializer("HistoryMarkupRevenueRow", sources.MARKUP_KEYS),
)  # fmt: skip


class ActiveAccountsView(HistoryView):
    permission_classes = [operation("view-active-accounts", "customers.view_customer")]

    @extend_schema(
        tags=TAGS, summary="Count active accounts", operation_id="history_active_accounts",
        description="Live accounts with at least one execution among those `filters[]` keep (e.g. `createdAt` for a "
        f"period). {_fields_text(sources.TRADES)}",
        request=s.FiltersRequestSerializer, responses={200: s.TotalSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        values = valid(s.FiltersRequestSerializer, request.data)
        where = query.conditions(sources.DEAL_FIELDS, values["filters"])
        return Response({"total": sources.active_accounts(scope_for(staff_user(request)), where)})


class BillingInfoView(HistoryView):
    permission_classes = [operation("view-billing-info", "customers.view_customer")]

    @extend_schema(
        tags=TAGS, summary="Platform billing figures", operation_id="history_billing_info",
        description="Active accounts and traded volume in the root asset, spot and derivatives (CFD and perpetual), "
        f"of the executions `filters[]` keep. {_fields_text(sources.TRADES)}",
        request=s.FiltersRequestSerializer, responses={200: s.BillingInfoSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        values = valid(s.FiltersRequestSerializer, request.data)
        where = query.conditions(sources.DEAL_FIELDS, values["filters"])
        figures = sources.billing_info(scope_for(staff_user(request)), where, rates_to_root())
        return Response({"rootAsset": root_asset(), **figures})


class UserBalanceView(HistoryView):
    permission_classes = [operation("view-balances")]

    @extend_schema(
        tags=TAGS, summary="One user's total balance", operation_id="history_user_balance",
        description="The client's live wallets and accounts (balance and money on hold) in the root asset.",
        responses={200: s.UserBalanceSerializer, **ERRORS, 404: ErrorSerializer},
    )  # fmt: skip
    def get(self, request: Request, userId: str) -> Response:
        if not userId.isdigit() or len(userId) > 18:
            raise exceptions.ValidationError({"userId": [_("A client id is a number.")]})
        scope = scope_for(staff_user(request))
        customer = Customer.objects.filter(scope.clients(), pk=int(userId)).first()
        if customer is None:
            raise exceptions.NotFound()
        return Response({"totalBalanceInRAT": sources.user_total_in_rat(scope, customer, rates_to_root())})


class ChartingView(HistoryView):
    permission_classes = [operation("manage-charts")]

    @extend_schema(
        tags=TAGS, summary="A market's candle chart (PNG)", operation_id="history_charting",
        description=f"{chart.__doc__}\n`interval` is one of M1, M5, M15, M30, H1, H4, D1.",
        request=s.ChartRequestSerializer,
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The PNG."), **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> HttpResponse:
        values = valid(s.ChartRequestSerializer, request.data)
        instrument = Instrument.objects.filter(symbol=values["marketId"]).first()
        if instrument is None:
            raise exceptions.ValidationError({"marketId": [_("There is no such market.")]})
        bars = chart.candles(instrument, values["interval"], values["dateFrom"], values["dateTo"])
        response = HttpResponse(chart.render(instrument, values["interval"], bars), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response
