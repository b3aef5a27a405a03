"""001 "Settings — back office v2": a user's accounts with balances (`/v2/users/{userId}/accounts[/{accountId}]`).

`userId` is the client's id and `accountId` the account's number; the clients are those the caller may see (as
in the admin). `accountType` is `Hedging` for trading accounts (live or demo: several positions per symbol) and
`Spot` for the other client wallets (they hold assets only). Each account has a balance in its currency
(`total` the balance, `locked` the amount on hold: pending withdrawals), then one per asset it bought on spot
markets (those wallets are listed as balances of their account, not as accounts).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.models import Customer
from crm.trading.compat.backoffice.authentication import operation
from crm.trading.compat.backoffice.settings import ERRORS_404, TAGS, BackApiView
from crm.trading.models import SpotHolding
from crm.wallets.models import Wallet

TRADING_TYPES = {Wallet.Type.TRADE, Wallet.Type.DEMO}
ACCOUNT_TYPES = [("Hedging", "Hedging (trading account)"), ("Spot", "Spot (wallet)")]
VIEW_ACCOUNTS = ("customers.view_customer", "wallets.view_wallet")


class BackApiBalanceSerializer(serializers.Serializer[Any]):
    assetId = serializers.CharField(source="currency_id")
    locked = serializers.DecimalField(max_digits=24, decimal_places=8, source="on_hold")
    total = serializers.DecimalField(max_digits=24, decimal_places=8, source="balance")


class BackApiAccountSerializer(serializers.Serializer[Any]):
    accountId = serializers.CharField(source="number")
    accountName = serializers.SerializerMethodField()
    accountType = serializers.SerializerMethodField()
    balances = serializers.SerializerMethodField()

    def get_accountName(self, wallet: Wallet) -> str:
        return wallet.caption or wallet.number

    @extend_schema_field(serializers.ChoiceField(choices=ACCOUNT_TYPES))
    def get_accountType(self, wallet: Wallet) -> str:
        return "Hedging" if wallet.type in TRADING_TYPES else "Spot"

    @extend_schema_field(BackApiBalanceSerializer(many=True))
    def get_balances(self, wallet: Wallet) -> list[dict[str, Any]]:
        held = [holding.wallet for holding in wallet.spot_holdings.all()]
        return [BackApiBalanceSerializer(row).data for row in (wallet, *held)]


def _customer(request: Request, user_id: str) -> Customer:
    visible = Customer.objects.visible_to(request.user)
    customer: Customer | None = visible.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if customer is None:
        raise NotFound()
    return customer


def _accounts(customer: Customer) -> Any:
    """The client's accounts; the wallets of assets bought on spot markets are balances of their account."""
    holdings = SpotHolding.objects.select_related("wallet").order_by("currency")
    rows = Wallet.objects.filter(customer=customer, spot_holding__isnull=True)
    return rows.prefetch_related(Prefetch("spot_holdings", queryset=holdings)).order_by("pk")


class UserAccountsView(BackApiView):
    permission_classes = [operation("view-common", *VIEW_ACCOUNTS)]

    @extend_schema(
        tags=TAGS, summary="A user's accounts with balances", operation_id="backapi_v2_user_accounts_list",
        responses={200: BackApiAccountSerializer(many=True), **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, user_id: str) -> Response:
        return Response(BackApiAccountSerializer(_accounts(_customer(request, user_id)), many=True).data)


class UserAccountView(BackApiView):
    permission_classes = [operation("view-common", *VIEW_ACCOUNTS)]

    @extend_schema(
        tags=TAGS, summary="One account of a user", operation_id="backapi_v2_user_accounts_get",
        responses={200: BackApiAccountSerializer, **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, user_id: str, account_id: str) -> Response:
        wallet = _accounts(_customer(request, user_id)).filter(number=account_id).first()
        if wallet is None:
            raise NotFound()
        return Response(BackApiAccountSerializer(wallet).data)
